"""Watch tables: slot providers, their offices and services, targets, watches, slots."""

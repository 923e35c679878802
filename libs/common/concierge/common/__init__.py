"""Shared building blocks for every Concierge service: settings, logs, errors, HTTP."""

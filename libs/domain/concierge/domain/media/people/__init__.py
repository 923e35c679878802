"""A person's media settings, sources and history."""

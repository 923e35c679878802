"""Concierge api: the Postgres schema, REST /api/v1 and the admin API."""

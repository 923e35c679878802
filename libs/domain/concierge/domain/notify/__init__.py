"""Notify tables: the outbox and broadcasts."""

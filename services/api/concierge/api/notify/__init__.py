"""Notifications: the outbox, broadcasts, and the relay API the bot delivers through."""

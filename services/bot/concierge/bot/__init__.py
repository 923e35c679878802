"""Concierge bot: every call to the Telegram Bot API goes through this service."""

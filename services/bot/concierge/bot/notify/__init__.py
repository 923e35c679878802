"""Notify in the bot: the relay that sends the outbox at the pace Telegram allows."""

"""Concierge bot: every call to the Telegram Bot API goes through this service."""

import os

# python-telegram-bot 22 gives durations (RetryAfter.retry_after, …) as timedelta
# with this set, and warns about the coming change without it.
os.environ.setdefault("PTB_TIMEDELTA", "true")

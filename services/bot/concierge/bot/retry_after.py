from __future__ import annotations

from datetime import timedelta

from telegram.error import RetryAfter


def seconds_to_wait(error: RetryAfter) -> float:
    """Telegram's retry_after in seconds, whichever type this library version uses."""
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)

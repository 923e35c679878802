"""One notification through the Bot API, and what Telegram's answer means for it."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot

from concierge.bot.edits import is_not_modified
from concierge.bot.notify.pacing import PACED
from concierge.bot.retry_after import seconds_to_wait
from concierge.contracts.notify import (
    MAX_ERROR_LENGTH,
    MAX_RETRY_AFTER_S,
    ClaimedNotification,
    DeliveryOutcome,
    DeliveryReport,
)

log = logging.getLogger(__name__)


async def deliver(bot: ExtBot[Any], notification: ClaimedNotification) -> DeliveryReport:
    """Send it; never raises: every failure becomes the report of its outcome.

    The caller has taken the budget's slot and the chat's turn (``PACED``).
    """
    payload = notification.payload
    markup = payload.reply_markup
    keyboard = (
        InlineKeyboardMarkup.de_json(markup.model_dump(exclude_none=True)) if markup else None
    )
    try:
        if payload.edit_message_id is not None:
            await bot.edit_message_text(
                payload.text,
                chat_id=notification.chat_id,
                message_id=payload.edit_message_id,
                parse_mode=payload.parse_mode,
                reply_markup=keyboard,
                rate_limit_args=PACED,
            )
            return DeliveryReport(id=notification.id, outcome=DeliveryOutcome.SENT)
        message = await bot.send_message(
            notification.chat_id,
            payload.text,
            parse_mode=payload.parse_mode,
            reply_markup=keyboard,
            rate_limit_args=PACED,
        )
    except Exception as exc:
        if is_not_modified(exc):  # an edit the message already shows: done
            return DeliveryReport(id=notification.id, outcome=DeliveryOutcome.SENT)
        return failure_report(notification.id, exc)
    return DeliveryReport(
        id=notification.id, outcome=DeliveryOutcome.SENT, message_id=message.message_id
    )


def failure_report(notification_id: int, exc: Exception) -> DeliveryReport:
    """429 waits without using an attempt; 403 means blocked; 400 never succeeds;
    Telegram or the network not answering (timeouts, network errors, 5xx, a refused
    token) is ``UNAVAILABLE`` (the outage guard decides whether that costs an attempt);
    anything else (a bug) is a failed attempt."""
    error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
    if isinstance(exc, RetryAfter):
        wait = min(max(seconds_to_wait(exc), 1.0), MAX_RETRY_AFTER_S)
        return DeliveryReport(
            id=notification_id,
            outcome=DeliveryOutcome.RATE_LIMITED,
            retry_after_s=wait,
            error=error,
        )
    if isinstance(exc, Forbidden):
        outcome = DeliveryOutcome.BLOCKED
    elif isinstance(exc, BadRequest | ChatMigrated):  # BadRequest before its base, NetworkError
        outcome = DeliveryOutcome.REJECTED
    elif isinstance(exc, NetworkError | InvalidToken):
        outcome = DeliveryOutcome.UNAVAILABLE
    else:
        if not isinstance(exc, TelegramError):
            log.error("unexpected error sending notification %s", notification_id, exc_info=exc)
        outcome = DeliveryOutcome.FAILED
    return DeliveryReport(id=notification_id, outcome=outcome, error=error)

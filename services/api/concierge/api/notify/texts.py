"""What every desk's notifications share: the reader's language, escaped values, and a
message in Telegram's HTML parse mode."""

from __future__ import annotations

import html

from concierge.contracts.identity import Language, language_from_code
from concierge.contracts.notify import InlineButton, InlineKeyboard, MessagePayload
from concierge.domain.identity.models import User


def language_of(user: User) -> Language:
    """The language the user chose, else their Telegram's (Russian or English)."""
    return Language(user.language) if user.language else language_from_code(user.language_code)


def escaped(**values: object) -> dict[str, str]:
    """Values made safe to put into an HTML message."""
    return {name: html.escape(str(value), quote=False) for name, value in values.items()}


def html_message(text: str, *rows: list[InlineButton]) -> MessagePayload:
    keyboard = InlineKeyboard(inline_keyboard=list(rows)) if rows else None
    return MessagePayload(text=text, parse_mode="HTML", reply_markup=keyboard)

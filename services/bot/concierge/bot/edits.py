"""Editing a message in place, where "message is not modified" counts as done.

Telegram refuses (400) an edit that would leave the message as it is, which is what a
second press of the same button asks for. The message already shows what the press
wanted, so that refusal is success, never a failure to retry or apologise for.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest

NOT_MODIFIED = "message is not modified"


def is_not_modified(error: BaseException | None) -> bool:
    """Telegram's answer to an edit that changes nothing (python-telegram-bot capitalises
    the description, so the match ignores case)."""
    return isinstance(error, BadRequest) and NOT_MODIFIED in error.message.lower()


async def edit_in_place(
    query: CallbackQuery,
    text: str,
    markup: InlineKeyboardMarkup | None,
    *,
    link_previews: bool = True,
) -> None:
    """Show ``text`` (HTML) and ``markup`` in the message the pressed button belongs to."""
    try:
        await query.edit_message_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=None if link_previews else True,
        )
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise

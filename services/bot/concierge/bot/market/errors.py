"""What the bot says when the api refuses a market action: the error's code, in the
user's language (never the api's English sentence)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from concierge.bot.texts import TEXTS, text
from concierge.common.http_client import ServiceResponseError
from concierge.contracts.identity import Language


def error_text(language: Language, error: ServiceResponseError) -> str:
    key = f"market_error_{error.code}"
    if error.code and key in TEXTS[language]:
        params = {name: str(value) for name, value in error.params.items()}
        return text(language, key, **params)
    return text(language, "market_error_other")


async def tell(update: Update, language: Language, body: str) -> None:
    """A short reply in the update's chat (HTML; user values already escaped)."""
    if update.effective_chat is not None:
        await update.effective_chat.send_message(body, parse_mode=ParseMode.HTML)


async def tell_error(update: Update, language: Language, error: ServiceResponseError) -> None:
    await tell(update, language, error_text(language, error))

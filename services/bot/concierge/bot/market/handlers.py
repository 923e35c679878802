"""/sell: a button that opens the Mini App on a new listing (and on the user's own); and
the market's other handlers: conversations between buyers and sellers, the buttons
under listings, moderation for admins."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes

from concierge.bot.deps import language_of
from concierge.bot.market import conversations, moderation
from concierge.bot.market.webapp import MINE, NEW, webapp_button, webapp_url
from concierge.bot.texts import text
from concierge.contracts.identity import Language


def sell_keyboard(language: Language, base_url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [webapp_button(text(language, "button_sell"), base_url, NEW)],
            [webapp_button(text(language, "button_my_listings"), base_url, MINE)],
        ]
    )


async def sell_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    language = await language_of(update, context)
    base_url = webapp_url(update, context)
    if base_url is not None:
        body, markup = text(language, "sell_prompt"), sell_keyboard(language, base_url)
    elif chat.type != ChatType.PRIVATE:
        body, markup = text(language, "sell_private_only"), None
    else:
        body, markup = text(language, "sell_unavailable"), None
    await chat.send_message(body, parse_mode=ParseMode.HTML, reply_markup=markup)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("sell", sell_command))
    conversations.register(application)
    moderation.register(application)

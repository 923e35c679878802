"""Links into the Mini App: web_app buttons that open it on a given page.

The Mini App reads ``startapp`` from its URL (``new``, ``mine``, ``search``,
``listing_<id>``). Telegram shows web_app buttons in inline keyboards of private chats
only (a group gets BUTTON_TYPE_INVALID), so every helper here takes the chat and gives
nothing outside private chats; nor when no Mini App can be opened (a real bot token
with an http:// WEBAPP_URL: Telegram opens https only).
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit, urlunsplit

from telegram import Chat, InlineKeyboardButton, MenuButtonWebApp, Update, WebAppInfo
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from concierge.bot.deps import deps_of
from concierge.bot.texts import text
from concierge.contracts.identity import Language

log = logging.getLogger(__name__)

NEW = "new"
MINE = "mine"


def listing_page(listing_id: int) -> str:
    return f"listing_{listing_id}"


def webapp_link(base_url: str, start: str) -> str:
    """The Mini App's address opening on ``start`` (``?startapp=…``, kept with any query
    the address has)."""
    parts = urlsplit(base_url)
    query = "&".join(part for part in (parts.query, urlencode({"startapp": start})) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def webapp_button(label: str, base_url: str, start: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, web_app=WebAppInfo(webapp_link(base_url, start)))


def webapp_url_for(chat: Chat | None, base_url: str | None) -> str | None:
    """The Mini App's address if this chat can show its buttons, else None."""
    if chat is None or chat.type != ChatType.PRIVATE:
        return None
    return base_url


def webapp_url(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The Mini App's address for buttons in this update's chat, or None."""
    return webapp_url_for(update.effective_chat, deps_of(context).webapp_url)


async def localize_menu_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language
) -> None:
    """The chat's menu button in the user's language ("🛍 Маркет"): the bot's default one
    is English, and Telegram shows a button's text as it is. Set at /start and when the
    language changes; a failure leaves the default (the bot works without it)."""
    chat, url = update.effective_chat, webapp_url(update, context)
    if chat is None or url is None:
        return
    button = MenuButtonWebApp(text(language, "menu_button"), WebAppInfo(url))
    try:
        await context.bot.set_chat_menu_button(chat_id=chat.id, menu_button=button)
    except TelegramError as exc:
        log.warning("could not set chat %s's menu button: %r", chat.id, exc)

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from concierge.bot.callback_data import pattern, unpack
from concierge.bot.core.keyboards import (
    LANGUAGE,
    MENU,
    back_to_menu,
    language_picker,
    main_menu,
)
from concierge.bot.deps import deps_of, language_of
from concierge.bot.edits import edit_in_place, is_not_modified
from concierge.bot.market import cards, moderation
from concierge.bot.market.webapp import localize_menu_button, webapp_url
from concierge.bot.retry_after import seconds_to_wait
from concierge.bot.texts import text
from concierge.common.http_client import ServiceUnavailable
from concierge.contracts.identity import Language

log = logging.getLogger(__name__)

COMMANDS = (
    "start",
    "menu",
    "search",
    "ask",
    "sell",
    "watch",
    "watches",
    "unwatch",
    "watchsettings",
    "feed",
    "avito_connect",
    "calendar",
    "close_dates",
    "open_dates",
    "mcp_token",
    "house_rules",
    "faq",
    "guest_mode",
    "media",
    "help",
    "language",
)
ADMIN_COMMANDS = ("moderation", "sources")


async def menu_keyboard(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language
) -> InlineKeyboardMarkup:
    """The main menu for this update's chat (the Mini App's buttons in private chats;
    "Moderation (N)" for admins)."""
    admin_rows = await moderation.admin_menu_rows(update, context, language)
    return main_menu(language, webapp_url(update, context), admin_rows)


def help_body(language: Language, admin: bool) -> str:
    """The commands with the descriptions the command menu shows (one text for both), and
    for admins their own."""
    lines = [f"/{c} — {d}" for c, d in command_descriptions(language)]
    parts = [text(language, "help_header"), "\n".join(lines)]
    if admin:
        admin_lines = [f"/{c} — {text(language, f'command_{c}')}" for c in ADMIN_COMMANDS]
        parts.append(text(language, "help_admin_header") + "\n" + "\n".join(admin_lines))
    parts.append(text(language, "help_footer"))
    return "\n\n".join(parts)


async def help_text(update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language) -> str:
    """/help for this user (it never waits for api: the role the bot keeps decides)."""
    user = update.effective_user
    admin = user is not None and await deps_of(context).users.known_admin(user.id)
    return help_body(language, admin)


async def _reply(update: Update, body: str, markup: InlineKeyboardMarkup | None) -> None:
    if update.effective_chat is None:
        return
    await update.effective_chat.send_message(body, parse_mode=ParseMode.HTML, reply_markup=markup)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Register the user, then the listing a shared link names (``/start listing_4``) or
    the greeting with the menu."""
    if update.effective_user is None:
        return
    user = await deps_of(context).users.register(update.effective_user)
    language = user.display_language
    await localize_menu_button(update, context, language)
    listing_id = cards.listing_id_of(context.args[0] if context.args else None)
    if listing_id is not None:
        await cards.show_listing(update, context, listing_id)
        return
    name = html.escape(update.effective_user.first_name or update.effective_user.username or "")
    menu = await menu_keyboard(update, context, language)
    await _reply(update, text(language, "welcome", name=name), menu)


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = await language_of(update, context)
    await _reply(update, text(language, "menu"), await menu_keyboard(update, context, language))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = await language_of(update, context)
    await _reply(update, await help_text(update, context, language), back_to_menu(language))


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = await language_of(update, context)
    await _reply(update, text(language, "language_prompt"), language_picker())


def _pressed(update: Update) -> tuple[CallbackQuery, list[str]]:
    """The callback query of a button press and the fields of its data."""
    query = update.callback_query
    if query is None or query.data is None:
        raise TypeError("a callback handler got an update without callback data")
    return query, unpack(query.data)[1]


async def _edit(update: Update, body: str, markup: InlineKeyboardMarkup) -> None:
    query, _ = _pressed(update)
    await edit_in_place(query, body, markup)


# Button handlers never answer the press: the consumer did, when it read the update.


async def menu_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _, fields = _pressed(update)
    language = await language_of(update, context)
    if fields == ["help"]:
        await _edit(update, await help_text(update, context, language), back_to_menu(language))
    elif fields == ["search"]:
        await _edit(update, text(language, "search_help"), back_to_menu(language))
    else:
        await _edit(update, text(language, "menu"), await menu_keyboard(update, context, language))


async def language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, fields = _pressed(update)
    if len(fields) != 2 or fields[1] not in {lang.value for lang in Language}:
        return
    language = Language(fields[1])
    await deps_of(context).users.set_language(query.from_user, language)
    await localize_menu_button(update, context, language)
    await _edit(update, text(language, "menu"), await menu_keyboard(update, context, language))


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button from an older version of the bot: show the menu again."""
    language = await language_of(update, context)
    await _reply(update, text(language, "menu"), await menu_keyboard(update, context, language))


def command_is_for_us(message: Message, bot: Bot) -> bool:
    """A command in a group is ours when it names this bot (``/foo@us``): a bare one may
    be another bot's."""
    command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    _, at, target = command.partition("@")
    return bool(at) and (bot.username or "").lower() == target.lower()


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, chat = update.effective_message, update.effective_chat
    assert message is not None
    in_group = chat is not None and chat.type != ChatType.PRIVATE
    if in_group and not command_is_for_us(message, context.bot):
        return  # in a group, a command of nobody's in particular may be another bot's
    language = await language_of(update, context)
    command = html.escape((message.text or "").split()[0][:33])
    await _reply(
        update,
        text(language, "unknown_command", command=command),
        await menu_keyboard(update, context, language),
    )


async def unknown_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = await language_of(update, context)
    menu = await menu_keyboard(update, context, language)
    await _reply(update, text(language, "unknown_text"), menu)


async def unsupported_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = await language_of(update, context)
    menu = await menu_keyboard(update, context, language)
    await _reply(update, text(language, "unsupported"), menu)


def _retry_delay(error: BaseException | None) -> float | None:
    """How long to wait before handling the update again, or None if it will not help:
    api away, Telegram away or asking to wait pass; a 400 or a bug does not."""
    if isinstance(error, RetryAfter):
        return seconds_to_wait(error)
    if isinstance(error, BadRequest):  # a NetworkError in python-telegram-bot, but final
        return None
    if isinstance(error, ServiceUnavailable | NetworkError | InvalidToken):
        return 0.0
    return None


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Retry passing failures while the update lives; otherwise log and tell the user
    something useful."""
    if not isinstance(update, Update):
        log.error("error outside an update", exc_info=context.error)
        return
    if is_not_modified(context.error):  # the message already shows it: done
        return
    deps = deps_of(context)
    if isinstance(context.error, Forbidden) and update.effective_chat is not None:
        await _blocked_us(update.effective_chat.id, context)
        return
    delay = _retry_delay(context.error)
    if delay is not None and deps.retries.may_retry(update.update_id):
        log.info("update %s will be retried: %r", update.update_id, context.error)
        deps.retries.request_retry(update.update_id, delay)
        return
    log.error("update %s failed", update.update_id, exc_info=context.error)
    deps.retries.give_up(update.update_id)
    await _apologise(update, context)


async def _blocked_us(chat_id: int, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram said 403 to a reply: the user blocked the bot. Nothing to apologise to;
    api stops notifying them until they write again."""
    log.info("chat %s blocked the bot", chat_id)
    try:
        await deps_of(context).users.set_blocked(chat_id, True)
    except Exception as exc:  # the next notification's 403 will tell api again
        log.warning("could not record that chat %s blocked the bot: %r", chat_id, exc)


async def _apologise(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is None:
        return
    try:
        language = await language_of(update, context)
    except Exception:
        language = Language.EN
    await _quietly(update.effective_chat.send_message(text(language, "error")))


async def _quietly(call: Any) -> None:
    try:
        await call
    except Exception as exc:  # the apology itself failing must not hide the first error
        log.warning("could not tell the user about an error: %r", exc)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("menu", menu))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("language", language_command))
    application.add_handler(CallbackQueryHandler(menu_button, pattern=pattern(MENU)))
    application.add_handler(CallbackQueryHandler(language_button, pattern=pattern(LANGUAGE)))
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(filters.TEXT, unknown_text))
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, unsupported_message)
    )
    application.add_error_handler(on_error)


def command_descriptions(language: Language) -> list[tuple[str, str]]:
    return [(command, text(language, f"command_{command}")) for command in COMMANDS]

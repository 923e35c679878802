"""Building and starting the python-telegram-bot Application (no Updater)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

from concierge.bot import flood, groups, taps
from concierge.bot.core import handlers as core_handlers
from concierge.bot.feed import handlers as feed_handlers
from concierge.bot.market import handlers as market_handlers
from concierge.bot.mcp import handlers as mcp_handlers
from concierge.bot.media import handlers as media_handlers
from concierge.bot.notify import handlers as notify_handlers
from concierge.bot.notify.pacing import DeliveryPacing, PacedRateLimiter
from concierge.bot.rentals import guest as rentals_guest
from concierge.bot.rentals import handlers as rentals_handlers
from concierge.bot.search import handlers as search_handlers
from concierge.bot.settings import BotSettings, UpdateSource
from concierge.bot.texts import text
from concierge.bot.watch import handlers as watch_handlers
from concierge.contracts.identity import Language

log = logging.getLogger(__name__)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


def build_application(settings: BotSettings, pacing: DeliveryPacing) -> TelegramApp:
    application: TelegramApp = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_file_url)
        .rate_limiter(PacedRateLimiter(pacing))
        .updater(None)
        .build()
    )
    taps.register(application)  # group -2: repeated presses dropped before anything else
    flood.register(application)  # group -1: before every handler
    notify_handlers.register(application)
    groups.register(application)  # group chatter: only what is addressed to the bot
    search_handlers.register(application)
    market_handlers.register(application)
    watch_handlers.register(application)
    feed_handlers.register(application)
    rentals_handlers.register(application)
    mcp_handlers.register(application)
    rentals_guest.register(application)
    media_handlers.register(application)
    core_handlers.register(application)
    return application


async def publish_commands(application: TelegramApp) -> None:
    """The command menu in every language we speak; English is also the default."""
    for language in Language:
        commands = [BotCommand(c, d) for c, d in core_handlers.command_descriptions(language)]
        await application.bot.set_my_commands(commands, language_code=language.value)
    default = core_handlers.command_descriptions(Language.EN)
    await application.bot.set_my_commands([BotCommand(c, d) for c, d in default])


async def publish_menu_button(application: TelegramApp, webapp_url: str | None) -> None:
    """The chat menu button opens the Mini App (when one can be opened); a failure is
    logged: the bot works without it (/sell and the menu's buttons open it too). This is
    every chat's default, in English; /start sets each chat's in its user's language."""
    if webapp_url is None:
        return
    button = MenuButtonWebApp(text(Language.EN, "menu_button"), WebAppInfo(webapp_url))
    try:
        await application.bot.set_chat_menu_button(menu_button=button)
    except TelegramError as exc:
        log.warning("could not set the chat menu button to the Mini App: %r", exc)


async def connect_update_source(application: TelegramApp, settings: BotSettings) -> None:
    if settings.update_source == UpdateSource.WEBHOOK:
        await application.bot.set_webhook(
            settings.resolved_webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )
        log.info("webhook set to %s", settings.resolved_webhook_url)
    else:
        await application.bot.delete_webhook()
        log.info("no public URL: polling Telegram for updates")

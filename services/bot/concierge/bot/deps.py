"""What handlers need, stored once on the Application and read back typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext

from concierge.bot.search.sessions import SearchSessions
from concierge.bot.users import UserDirectory
from concierge.contracts.api_client import ApiClient
from concierge.contracts.identity import Language
from concierge.contracts.market_client import MarketApiClient

if TYPE_CHECKING:  # these import deps themselves
    from concierge.bot.consumer import RetryBook
    from concierge.bot.feed.messages import MessageManager
    from concierge.bot.flood import FloodGuard
    from concierge.bot.taps import TapCollapser

_KEY = "concierge"


@dataclass(frozen=True)
class BotDeps:
    users: UserDirectory
    retries: RetryBook
    flood: FloodGuard
    api: ApiClient
    searches: SearchSessions
    taps: TapCollapser
    market: MarketApiClient  # the market's routes, called on a user's behalf
    webapp_url: str | None = None  # the Mini App for web_app buttons; None: no buttons
    messages: MessageManager | None = None  # the feed's self-cleaning messages (Redis)


def install(application: Application[Any, Any, Any, Any, Any, Any], deps: BotDeps) -> None:
    application.bot_data[_KEY] = deps


def deps_of(context: CallbackContext[Any, Any, Any, Any]) -> BotDeps:
    deps = context.bot_data[_KEY]
    assert isinstance(deps, BotDeps)
    return deps


async def language_of(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> Language:
    """The language to answer the update's user in (their choice, else their Telegram's)."""
    return await deps_of(context).users.language_of(update.effective_user)

"""What handlers need, stored once on the Application and read back typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext

from concierge.bot.consumer import RetryBook
from concierge.bot.users import UserDirectory

if TYPE_CHECKING:
    from concierge.bot.flood import FloodGuard

_KEY = "concierge"


@dataclass(frozen=True)
class BotDeps:
    users: UserDirectory
    retries: RetryBook
    flood: FloodGuard


def install(application: Application[Any, Any, Any, Any, Any, Any], deps: BotDeps) -> None:
    application.bot_data[_KEY] = deps


def deps_of(context: CallbackContext[Any, Any, Any, Any]) -> BotDeps:
    deps = context.bot_data[_KEY]
    assert isinstance(deps, BotDeps)
    return deps

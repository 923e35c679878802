"""What the media desk's chat modules share: the api client, the Redis state, buttons,
plain-text messages, the titles a person was last shown."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import orjson
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from concierge.bot.callback_data import pack
from concierge.bot.deps import deps_of
from concierge.bot.media.texts import media_text
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.identity import Language
from concierge.contracts.media_client import MediaApiClient

T = TypeVar("T")
PREFIX = "md"
DIALOG_TTL_S = 600
TITLES_KEEP = 30  # titles remembered for their buttons (search results, recommendations)


def client(context: ContextTypes.DEFAULT_TYPE) -> MediaApiClient:
    return MediaApiClient(deps_of(context).market.http)


def _redis(context: ContextTypes.DEFAULT_TYPE) -> Any:
    return deps_of(context).searches.redis


def dialog_key(user: int) -> str:
    return f"media:dialog:{user}"


def mode_key(user: int) -> str:
    return f"media:mode:{user}"


def _button(label: str, *fields: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=pack(PREFIX, *fields))


async def _send(update: Update, body: str, markup: InlineKeyboardMarkup | None = None) -> None:
    if update.effective_chat is not None:
        await update.effective_chat.send_message(body, reply_markup=markup)  # plain text


async def _set_dialog(context: ContextTypes.DEFAULT_TYPE, user: int, **state: Any) -> None:
    await _redis(context).set(dialog_key(user), orjson.dumps(state), ex=DIALOG_TTL_S)


async def dialog_state(context: ContextTypes.DEFAULT_TYPE, user: int) -> dict[str, Any]:
    """The person's media dialogue ({} when there is none)."""
    raw = await _redis(context).get(dialog_key(user))
    state = orjson.loads(raw) if raw else {}
    return state if isinstance(state, dict) else {}


def titles_key(user: int) -> str:
    return f"media:titles:{user}"


def kinds_key(user: int) -> str:
    return f"media:title_kinds:{user}"


async def remember_titles(
    context: ContextTypes.DEFAULT_TYPE, user: int, titles: list[tuple[int, str, str]]
) -> None:
    """Keep the names (and kinds) of titles shown with buttons: a button carries only the
    id. The newest ``TITLES_KEEP`` stay."""
    redis = _redis(context)
    names = orjson.loads(await redis.get(titles_key(user)) or b"{}")
    kinds = orjson.loads(await redis.get(kinds_key(user)) or b"{}")
    for title_id, kind, title in titles:
        names.pop(str(title_id), None)
        names[str(title_id)] = title[:300]
        kinds[str(title_id)] = kind
    names = dict(list(names.items())[-TITLES_KEEP:])
    kinds = {k: v for k, v in kinds.items() if k in names}
    await redis.set(titles_key(user), orjson.dumps(names), ex=DIALOG_TTL_S)
    await redis.set(kinds_key(user), orjson.dumps(kinds), ex=DIALOG_TTL_S)


async def remembered(
    context: ContextTypes.DEFAULT_TYPE, user: int, title_id: int
) -> tuple[str, str] | None:
    """The name and kind of a title the person was shown, or None (forgotten)."""
    redis = _redis(context)
    name = orjson.loads(await redis.get(titles_key(user)) or b"{}").get(str(title_id))
    kind = orjson.loads(await redis.get(kinds_key(user)) or b"{}").get(str(title_id), "movie")
    return (name, kind) if name else None


def _reason(exc: ServiceResponseError) -> str:
    return str(exc.detail)[:300] if exc.detail else f"HTTP {exc.status_code}"


async def told(update: Update, language: Language, call: Awaitable[T]) -> T | None:
    """The api's answer; None when it refused (its reason told to the person) or is away
    (told to try again)."""
    try:
        return await call
    except ServiceResponseError as exc:
        await _send(update, media_text(language, "refused", reason=_reason(exc)))
    except ServiceUnavailable:
        await _send(update, media_text(language, "unavailable"))
    return None

"""What the rentals desk's chat modules share: the step a user is in (kept in Redis, so
a restarted bot loses nothing), replies, and the item picker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from concierge.bot.deps import deps_of, language_of
from concierge.common.http_client import ServiceUnavailable
from concierge.contracts.identity import Language
from concierge.contracts.rentals import ItemRead
from concierge.contracts.rentals_client import RentalsApiClient

STATE_TTL_S = 600
Texts = Callable[..., str]  # (language, key, **values) -> the words


def redis_of(context: ContextTypes.DEFAULT_TYPE) -> Any:
    return deps_of(context).searches.redis


async def say(update: Update, body: str, markup: InlineKeyboardMarkup | None = None) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(body, parse_mode=ParseMode.HTML, reply_markup=markup)


async def save_step(context: ContextTypes.DEFAULT_TYPE, key: str, state: Any) -> None:
    raw = state if isinstance(state, bytes) else orjson.dumps(state)
    await redis_of(context).set(key, raw, ex=STATE_TTL_S)


async def load_step(
    context: ContextTypes.DEFAULT_TYPE, key: str, *, take: bool
) -> tuple[bytes, dict[str, Any]] | None:
    """The step saved under ``key`` (raw and parsed), or None; ``take``: it is removed."""
    raw = await redis_of(context).get(key)
    if raw is None:
        return None
    if take:
        await redis_of(context).delete(key)
    state = orjson.loads(raw)
    return raw, state if isinstance(state, dict) else {}


async def items_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> list[ItemRead]:
    """The items of the user's accounts whose keys Avito still takes."""
    user = update.effective_user
    assert user is not None
    api = RentalsApiClient(deps_of(context).market.http)
    found: list[ItemRead] = []
    for account in await api.accounts(user.id):
        if not account.revoked:
            found.extend(await api.items(user.id, account.id))
    return found


async def pick_item(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    texts: Texts,
    callback: Callable[[ItemRead], str],
    extra: Callable[[Language], list[list[InlineKeyboardButton]]] | None = None,
) -> None:
    """Ask which item (20 at most): a button each, ``callback(item)`` its data; ``texts``
    has ``pick_item``, ``no_items`` and ``unavailable``."""
    language = await language_of(update, context)
    try:
        items = await items_of(update, context)
    except ServiceUnavailable:
        await say(update, texts(language, "unavailable"))
        return
    if not items:
        await say(update, texts(language, "no_items"))
        return
    rows = [
        [InlineKeyboardButton(item.title[:60] or str(item.avito_item_id),
                              callback_data=callback(item))]
        for item in items[:20]
    ]  # fmt: skip
    if extra is not None:
        rows.extend(extra(language))
    await say(update, texts(language, "pick_item"), InlineKeyboardMarkup(rows))

"""Button presses: answered at once, and a burst of taps on one button handled once.

Telegram shows a spinner on a pressed button until the bot answers the callback query,
and refuses an answer after a few seconds ("query is too old"). So the consumer answers
every press the moment it reads it, before any handler runs or waits
(``answer_at_once``); handlers never answer. A failed answer is logged and forgotten: it
is not worth a retry (the spinner stops by itself) and must not fail the press.

A shaking thumb sends several presses of one button before the first edit lands: the
same data on the message as the user saw it. The first is handled; the others, within
``window_s`` of the last one handled, are dropped by ``tap_gate``. The mark is a Redis
key per chat, message, data and message state (its text and edit time), set NX with the
first press's update id, so a retry of that press is not taken for a repeat, and a press
on the message once it changed is a new press.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from telegram import CallbackQuery, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from concierge.bot.deps import deps_of

log = logging.getLogger(__name__)

GATE_GROUP = -2  # before the flood gate (-1) and every handler
DONE_GROUP = 1  # after the handlers


async def answer_at_once(query: CallbackQuery) -> None:
    """Stop the button's spinner; never raises."""
    try:
        await query.answer()
    except TelegramError as exc:
        log.info("could not answer button press %s: %r", query.id, exc)


class TapCollapser:
    def __init__(self, redis: Redis, window_s: float) -> None:
        self.redis = redis
        self.window_ms = max(1, int(window_s * 1000))

    async def is_repeat(self, query: CallbackQuery, update_id: int) -> bool:
        """True when another press of this button on this message is (or was just) handled."""
        key = self._key(query)
        if await self.redis.set(key, str(update_id), nx=True, px=self.window_ms):
            return False
        holder = await self.redis.get(key)
        return holder is not None and holder != str(update_id)

    async def handled(self, query: CallbackQuery) -> None:
        """The first press is done: repeats still coming are dropped for a window more."""
        await self.redis.pexpire(self._key(query), self.window_ms)

    @staticmethod
    def _key(query: CallbackQuery) -> str:
        message = query.message
        if isinstance(message, Message):
            where = f"{message.chat.id}:{message.message_id}"
            edited = message.edit_date.timestamp() if message.edit_date else 0
            state = f"{edited}\0{message.text or message.caption or ''}"
        else:  # an inline message, or one too old for Telegram to show
            where = query.inline_message_id or f"{query.from_user.id}:{query.chat_instance}"
            state = ""
        digest = hashlib.sha256(f"{query.data}\0{state}".encode()).hexdigest()[:32]
        return f"bot:tap:{where}:{digest}"


async def tap_gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drops a press that repeats one already being handled."""
    query = update.callback_query
    if query is None:
        return
    try:
        repeat = await deps_of(context).taps.is_repeat(query, update.update_id)
    except RedisError as exc:  # no mark to read: handle the press rather than drop it
        log.warning("tap check failed, handling the press: %r", exc)
        return
    if repeat:
        log.info("press %s repeats a press being handled; dropped", query.id)
        raise ApplicationHandlerStop


async def tap_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is None:
        return
    try:
        await deps_of(context).taps.handled(update.callback_query)
    except RedisError as exc:
        log.warning("could not extend the tap window: %r", exc)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, tap_gate), group=GATE_GROUP)
    application.add_handler(TypeHandler(Update, tap_done), group=DONE_GROUP)

"""The seed's MessageManager: messages that clean up after themselves.

- SYSTEM: one per chat (the feed's menu and progress), edited in place; a message
  Telegram no longer lets us edit (older than 48 h, deleted by the person, or any
  "can't be edited" answer) is replaced by a new one, never an error;
- EPHEMERAL: prompts (a training post waiting for its rating), deleted once answered;
  one too old to delete is forgotten;
- ONETIME: content kept in the chat (a feed post), never tracked.

The registry lives in Redis (``feed:msgs:<chat>``: the SYSTEM message's id and when it
was sent; ``feed:eph:<chat>``: ephemeral ids with their send times), so a restarted bot
edits and deletes the same messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar, cast

from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter

from concierge.bot.edits import is_not_modified

log = logging.getLogger(__name__)

EDITABLE_S = 48 * 3600  # Telegram: bots edit and delete their messages for 48 hours
MARGIN_S = 600  # replace a little before, so an edit never races the deadline
TTL_S = 7 * 86400  # a chat's registry outlives any message it can still act on
SHORT_WAIT_S = 5.0  # a flood wait the handler sits out itself

T = TypeVar("T")


async def paced(call: Callable[[], Awaitable[T]]) -> T:
    """One call, and once more after Telegram's per-chat flood wait when it is short (a
    menu edit, a prompt deleted and the next one sent come within a second); a long
    wait is the consumer's to honour (it retries the update after ``retry_after``)."""
    try:
        return await call()
    except RetryAfter as exc:
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        if seconds > SHORT_WAIT_S:
            raise
        await asyncio.sleep(seconds)
        return await call()


class Role(StrEnum):
    SYSTEM = "system"
    EPHEMERAL = "ephemeral"
    ONETIME = "onetime"


class MessageManager:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _system_key(chat_id: int) -> str:
        return f"feed:msgs:{chat_id}"

    @staticmethod
    def _ephemeral_key(chat_id: int) -> str:
        return f"feed:eph:{chat_id}"

    @staticmethod
    def now() -> float:
        return time.time()

    async def _send(
        self, bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> Message:
        return await paced(
            lambda: bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_web_page_preview=True,
            )
        )

    async def system(
        self, bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> int:
        """Show the chat's SYSTEM message: edit it in place while Telegram allows, else
        send a new one (and delete the old one if that is still possible)."""
        key = self._system_key(chat_id)
        stored = await self.redis.hgetall(key)
        message_id = int(stored["id"]) if stored.get("id") else None
        sent_at = float(stored.get("at", 0))
        if message_id is not None and self.now() - sent_at < EDITABLE_S - MARGIN_S:
            try:
                await paced(
                    lambda: bot.edit_message_text(
                        text,
                        chat_id=chat_id,
                        message_id=message_id,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                        disable_web_page_preview=True,
                    )
                )
                return message_id
            except BadRequest as exc:
                if is_not_modified(exc):
                    return message_id
                log.info("feed menu %s in chat %s cannot be edited (%s): replaced",
                         message_id, chat_id, exc.message)  # fmt: skip
        message = await self._send(bot, chat_id, text, markup)
        await self.redis.hset(key, mapping={"id": message.message_id, "at": self.now()})
        await self.redis.expire(key, TTL_S)
        if message_id is not None:
            await self._delete(bot, chat_id, message_id, sent_at)
        return message.message_id

    async def ephemeral(
        self, bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> int:
        """Send a prompt that goes away once answered (``clear``)."""
        message = await self._send(bot, chat_id, text, markup)
        key = self._ephemeral_key(chat_id)
        await self.redis.zadd(key, {str(message.message_id): self.now()})
        await self.redis.expire(key, TTL_S)
        return message.message_id

    async def onetime(
        self, bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> int:
        """Send content that stays (not tracked)."""
        return (await self._send(bot, chat_id, text, markup)).message_id

    async def clear(self, bot: Bot, chat_id: int) -> int:
        """Delete the chat's answered prompts; returns how many were deleted."""
        key = self._ephemeral_key(chat_id)
        deleted = 0
        entries = await self.redis.zrange(key, 0, -1, withscores=True)
        for member, sent_at in cast("list[tuple[str, float]]", entries):
            if await self._delete(bot, chat_id, int(member), float(sent_at)):
                deleted += 1
            await self.redis.zrem(key, member)
        return deleted

    async def _delete(self, bot: Bot, chat_id: int, message_id: int, sent_at: float) -> bool:
        """Delete a message if Telegram still allows it; a failure is never an error."""
        if self.now() - sent_at >= EDITABLE_S:
            return False  # too old to delete: it stays, forgotten
        try:
            return bool(await paced(lambda: bot.delete_message(chat_id, message_id)))
        except BadRequest as exc:
            log.info("message %s in chat %s not deleted: %s", message_id, chat_id, exc.message)
            return False

"""Conversation history per chat, in Redis, with a size bound.

A chat's history is pydantic-ai's messages as JSON under one key with a time to live.
It is cut from the oldest end, a whole turn at a time (a turn starts at a person's
message), until it holds at most ``max_messages`` messages and ``max_bytes`` bytes, so a
tool call is never kept without its result, nor a result without its call.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    UserPromptPart,
)
from pydantic_core import ValidationError
from redis.asyncio import Redis

KEY = "agent:history:{scope}:{chat}"


def _starts_turn(message: ModelMessage) -> bool:
    return isinstance(message, ModelRequest) and any(
        isinstance(part, UserPromptPart) for part in message.parts
    )


def bounded(
    messages: Sequence[ModelMessage], max_messages: int, max_bytes: int
) -> list[ModelMessage]:
    """The newest whole turns within both bounds (possibly none)."""
    kept = list(messages)
    while kept and (
        len(kept) > max_messages or len(ModelMessagesTypeAdapter.dump_json(kept)) > max_bytes
    ):
        starts = [i for i, message in enumerate(kept) if i > 0 and _starts_turn(message)]
        kept = kept[starts[0] :] if starts else []
    return kept


class HistoryStore:
    def __init__(
        self,
        redis: Redis,
        scope: str,
        *,
        max_messages: int = 40,
        max_bytes: int = 64_000,
        ttl_s: int = 7 * 24 * 3600,
    ) -> None:
        self.redis = redis
        self.scope = scope
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s

    def key(self, chat: str) -> str:
        return KEY.format(scope=self.scope, chat=chat)

    async def load(self, chat: str) -> list[ModelMessage]:
        raw = await self.redis.get(self.key(chat))
        if raw is None:
            return []
        try:
            return list(ModelMessagesTypeAdapter.validate_json(raw))
        except ValidationError:  # written by another version: start afresh
            return []

    async def save(self, chat: str, messages: Sequence[ModelMessage]) -> None:
        kept = bounded(messages, self.max_messages, self.max_bytes)
        if not kept:
            await self.clear(chat)
            return
        await self.redis.set(
            self.key(chat), ModelMessagesTypeAdapter.dump_json(kept), ex=self.ttl_s
        )

    async def clear(self, chat: str) -> None:
        await self.redis.delete(self.key(chat))

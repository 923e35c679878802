"""Durable intake of Telegram updates.

An update is de-duplicated on its ``update_id`` and appended to a Redis stream in
one atomic step, before anyone answers Telegram 200. Telegram never re-sends an
update it got a 200 for, so from then on the stream is the only copy.
"""

from __future__ import annotations

from typing import Any

import orjson
from prometheus_client import Counter
from redis.asyncio import Redis

from concierge.streams import StreamScripts

UPDATES_RECEIVED = Counter(
    "bot_updates_received_total", "Updates offered to the inbox", ["outcome"]
)


class InvalidUpdate(ValueError):
    """The payload is not a Telegram update."""


def parse_update(body: bytes) -> dict[str, Any]:
    try:
        update = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidUpdate("body is not JSON") from exc
    if not isinstance(update, dict):
        raise InvalidUpdate("an update is a JSON object")
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise InvalidUpdate("update_id must be a non-negative integer")
    return update


class UpdateInbox:
    def __init__(self, redis: Redis, stream: str, bot_id: int, dedup_ttl_s: int) -> None:
        self.redis = redis
        self.stream = stream
        self.dedup_prefix = f"tg:seen:{bot_id}:"
        self.dedup_ttl_s = dedup_ttl_s
        self._scripts = StreamScripts(redis)

    async def accept(self, update: dict[str, Any]) -> bool:
        """Store the update once; returns False when this update_id was seen before."""
        payload = orjson.dumps(update).decode()
        key = f"{self.dedup_prefix}{update['update_id']}"
        entry_id = await self._scripts.append_once(
            self.stream, {"update": payload}, key, self.dedup_ttl_s
        )
        stored = entry_id is not None
        UPDATES_RECEIVED.labels("stored" if stored else "duplicate").inc()
        return stored

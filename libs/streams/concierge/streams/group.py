"""One consumer of a Redis Streams consumer group.

A consumer first re-reads the entries it was given before and never
acknowledged (a previous incarnation crashed mid-work), then new ones. Entries
are acknowledged only after the work they carry is done, and deleted at the same
time so the stream holds only unfinished work (trimming by length could drop
pending entries). Entries another consumer left idle can be reclaimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError


@dataclass(frozen=True, slots=True)
class StreamEntry:
    id: str
    fields: dict[str, str]


def _entries(raw: Any) -> list[StreamEntry]:
    return [StreamEntry(entry_id, fields) for entry_id, fields in raw if fields is not None]


class StreamGroup:
    def __init__(self, redis: Redis, stream: str, group: str, consumer: str) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self._backlog_done = False

    async def ensure(self) -> None:
        """Create the group (and the stream) if needed; entries already there are kept."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, count: int, block_ms: int) -> list[StreamEntry]:
        """Our own unacknowledged entries first, then new ones (blocking up to block_ms)."""
        if not self._backlog_done:
            backlog = await self._read("0", count, None)
            if backlog:
                return backlog
            self._backlog_done = True
        return await self._read(">", count, block_ms)

    async def _read(self, start: str, count: int, block_ms: int | None) -> list[StreamEntry]:
        reply: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=count, block=block_ms
        )
        return _entries(reply[0][1]) if reply else []

    async def ack(self, entry_id: str) -> None:
        """The entry's work is done: acknowledge and delete it in one transaction."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()

    async def reclaim(self, min_idle_ms: int, count: int = 100) -> list[StreamEntry]:
        """Take over entries other consumers left unacknowledged for min_idle_ms."""
        reply = await self.redis.xautoclaim(
            self.stream, self.group, self.consumer, min_idle_time=min_idle_ms, count=count
        )
        return _entries(reply[1])

    async def pending_count(self) -> int:
        summary = await self.redis.xpending(self.stream, self.group)
        return int(summary["pending"])

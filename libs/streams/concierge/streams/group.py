"""One consumer of a Redis Streams consumer group.

A consumer first re-reads the entries it was given before and never
acknowledged (a previous incarnation crashed mid-work), then new ones. Entries
are acknowledged only after the work they carry is done, and deleted at the same
time so the stream holds only unfinished work (trimming by length could drop
pending entries). Entries another consumer left idle can be reclaimed; a consumer
working on an entry for long keeps it with a heartbeat.

Every entry handed out says how many times the group has delivered it (XREADGROUP,
XAUTOCLAIM and re-reads of the backlog each count one; a heartbeat does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from concierge.streams.scripts import StreamScripts


@dataclass(frozen=True, slots=True)
class StreamEntry:
    id: str
    fields: dict[str, str]
    deliveries: int = 1  # times the group has delivered this entry, this delivery included


def _entries(raw: Any) -> list[StreamEntry]:
    return [StreamEntry(entry_id, fields) for entry_id, fields in raw if fields is not None]


class StreamGroup:
    def __init__(self, redis: Redis, stream: str, group: str, consumer: str) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self._backlog_done = False
        self._reclaim_from = "0-0"  # XAUTOCLAIM scans the pending list like SCAN
        self._scripts = StreamScripts(redis)

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
                return await self._with_deliveries(backlog)
            self._backlog_done = True
        return await self._read(">", count, block_ms)

    async def _read(self, start: str, count: int, block_ms: int | None) -> list[StreamEntry]:
        reply: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=count, block=block_ms
        )
        return _entries(reply[0][1]) if reply else []

    async def ack(self, entry_id: str) -> None:
        """The entry's work is done: acknowledge and delete it in one atomic step."""
        await self._scripts.ack_and_delete(self.stream, self.group, entry_id)

    async def reclaim(self, min_idle_ms: int, count: int = 100) -> list[StreamEntry]:
        """Take over entries other consumers left unacknowledged for min_idle_ms."""
        reply: Any = await self.redis.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=min_idle_ms,
            start_id=self._reclaim_from,
            count=count,
        )
        self._reclaim_from = reply[0]
        if any(fields is None for _, fields in reply[1]):
            await self._forget_deleted()
        return await self._with_deliveries(_entries(reply[1]))

    async def heartbeat(self, entry_ids: list[str]) -> tuple[set[str], set[str]]:
        """Reset the idle time of entries still being worked on, so nobody reclaims them.

        Returns (entries refreshed, entries another consumer has reclaimed meanwhile).
        """
        if not entry_ids:
            return set(), set()
        return await self._scripts.heartbeat(self.stream, self.group, self.consumer, entry_ids)

    async def pending_count(self) -> int:
        summary = await self.redis.xpending(self.stream, self.group)
        return int(summary["pending"])

    async def forget_idle_consumers(self, idle_ms: int) -> list[str]:
        """Remove consumers that own nothing and have not read for idle_ms (old processes)."""
        gone = []
        for consumer in await self.redis.xinfo_consumers(self.stream, self.group):
            name = consumer["name"]
            if name != self.consumer and consumer["pending"] == 0 and consumer["idle"] > idle_ms:
                await self.redis.xgroup_delconsumer(self.stream, self.group, name)
                gone.append(name)
        return gone

    async def _with_deliveries(self, entries: list[StreamEntry]) -> list[StreamEntry]:
        """Entries re-read or reclaimed, with the delivery count the group keeps for each."""
        if not entries:
            return entries
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.xpending_range(self.stream, self.group, entry.id, entry.id, 1)
            replies = await pipe.execute()
        counts = {
            row["message_id"]: int(row["times_delivered"]) for rows in replies for row in rows
        }
        return [StreamEntry(e.id, e.fields, counts.get(e.id, e.deliveries)) for e in entries]

    async def _forget_deleted(self) -> None:
        """Acknowledge our pending entries whose message is gone (XDEL or trimming).

        Redis 7 drops them from the pending list itself; Redis 6.2 keeps handing them
        out from XAUTOCLAIM as empty entries, without their ids.
        """
        pending = await self.redis.xpending_range(
            self.stream, self.group, "-", "+", 1000, consumername=self.consumer
        )
        for row in pending:
            entry_id = row["message_id"]
            if not await self.redis.xrange(self.stream, entry_id, entry_id):
                await self.redis.xack(self.stream, self.group, entry_id)

"""One consumer of a Redis Streams consumer group.

A consumer first re-reads the entries it was given before and never
acknowledged (a previous incarnation crashed mid-work), then new ones. Entries
are acknowledged only after the work they carry is done, and deleted at the same
time so the stream holds only unfinished work (trimming by length could drop
pending entries). Entries another consumer left idle can be reclaimed; a consumer
working on an entry for long keeps it with a heartbeat.

Every entry handed out says how many times the group has delivered it (a first read,
a reclaim and a re-read of the backlog each count one; a heartbeat does not), read in
the same atomic step as the claim. One process is never handed an entry it holds a
second time, since each extra hand-out would count a delivery that never runs: the
backlog (what the consumer's name held before, not what this object reclaimed) is read
once, from a cursor, and neither it nor a reclaim hands out the entries the caller says
it is running.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from concierge.streams.scripts import ClaimLimits, StreamScripts


@dataclass(frozen=True, slots=True)
class StreamEntry:
    id: str
    fields: dict[str, str]
    deliveries: int = 1  # times the group has delivered this entry, this delivery included
    alone: bool = False  # claimed under ClaimLimits as one that may crash its process


def _entries(raw: Any) -> list[StreamEntry]:
    return [StreamEntry(entry_id, fields) for entry_id, fields in raw if fields is not None]


class StreamGroup:
    def __init__(self, redis: Redis, stream: str, group: str, consumer: str) -> None:
        self.redis = redis
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self._backlog_from: str | None = "-"  # None once the backlog has been read
        self._reclaimed_early: set[str] = set()  # reclaimed here before the backlog was read
        self._reclaim_from = "-"  # a reclaim scans the pending list like SCAN
        self._scripts = StreamScripts(redis)

    @property
    def backlog_done(self) -> bool:
        return self._backlog_from is None

    async def ensure(self) -> None:
        """Create the group (and the stream) if needed; entries already there are kept."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, count: int, block_ms: int) -> list[StreamEntry]:
        """Our own unacknowledged entries first, then new ones (blocking up to block_ms)."""
        if not self.backlog_done:
            backlog = await self.read_backlog(count)
            if backlog:
                return backlog
        reply: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=count, block=block_ms
        )
        return _entries(reply[0][1]) if reply else []  # a first delivery each

    async def read_backlog(
        self, count: int, running: Iterable[str] = (), limits: ClaimLimits | None = None
    ) -> list[StreamEntry]:
        """The entries a previous process with our name was given and never acknowledged.

        Read once, in pages of ``count`` from a cursor; [] once it has all been read.
        ``running``: entries the caller is working on (reclaimed ones), not handed out again.
        ``limits``: what may be taken (entries left by them are reclaimed later, once idle).
        """
        if self._backlog_from is None:
            return []
        last, claimed = await self._scripts.claim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_ms=0,
            start=self._backlog_from,
            count=count,
            own_only=True,
            skip={*running, *self._reclaimed_early},
            limits=limits,
        )
        self._backlog_from = f"({last}" if last else None
        if self._backlog_from is None:
            self._reclaimed_early.clear()
        return [StreamEntry(*entry) for entry in claimed]

    async def ack(self, entry_id: str) -> bool:
        """The entry's work is done: acknowledge and delete it in one atomic step.

        False when it was no longer pending (another consumer settled it first).
        """
        return await self._scripts.ack_and_delete(self.stream, self.group, entry_id)

    async def reclaim(
        self,
        min_idle_ms: int,
        count: int = 100,
        running: Iterable[str] = (),
        limits: ClaimLimits | None = None,
    ) -> list[StreamEntry]:
        """Take over entries left unacknowledged for min_idle_ms (their consumer died).

        ``running``: entries the caller is working on, never handed out again (this
        process may have stalled past min_idle_ms without a heartbeat). ``limits``: what
        may be taken (see ClaimLimits). Entries whose message is gone are acknowledged on
        the way.
        """
        last, claimed = await self._scripts.claim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_ms=min_idle_ms,
            start=self._reclaim_from,
            count=count,
            own_only=False,
            skip=running,
            limits=limits,
        )
        self._reclaim_from = f"({last}" if last else "-"
        if not self.backlog_done:  # ours now, but not the backlog of a previous process
            self._reclaimed_early.update(entry[0] for entry in claimed)
        return [StreamEntry(*entry) for entry in claimed]

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

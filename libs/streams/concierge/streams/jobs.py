"""Jobs: a type and a JSON payload, carried by one entry of a Redis stream.

Keys, for a queue on stream ``jobs``:

- ``jobs``: the stream; an entry is deleted when it is acknowledged, so it holds
  only jobs waiting or running;
- ``jobs:delayed``: a sorted set of jobs waiting for their retry time (score: due
  time in ms), moved back into the stream by a Lua script;
- ``jobs:dead``: jobs that used up their deliveries, each with its last error;
- ``jobs:dedup:<key>``: marks of jobs enqueued with a dedup key (they expire).

A job keeps its id across retries. Its entry carries the deliveries spent by
earlier entries of the same job, so the delivery count survives a retry, which
is a new entry.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from concierge.common.logging import current_request_id
from concierge.streams.group import StreamEntry
from concierge.streams.scripts import StreamScripts

DEFAULT_DEDUP_TTL_S = 86_400
DEFAULT_DEAD_MAX_LEN = 10_000


class InvalidJob(ValueError):
    """An entry that is not a job we can read; it goes straight to the dead stream."""


class UnknownJobType(LookupError):
    """No handler is registered for the job's type (retried: a newer worker may know it)."""


@dataclass(frozen=True, slots=True)
class Job:
    id: str  # the same for every retry of this job
    type: str
    payload: dict[str, Any]
    delivery: int  # 1 on the first delivery; counts every delivery of every retry
    dedup_key: str | None = None
    enqueued_at: float = 0.0  # Unix time, seconds
    request_id: str | None = None  # of the request that enqueued it, for the logs
    last_error: str | None = None  # of the previous attempt, when this is a retry

    @classmethod
    def from_entry(cls, entry: StreamEntry) -> Job:
        fields = entry.fields
        try:
            payload = orjson.loads(fields["payload"])
            earlier = int(fields.get("deliveries", "0"))
            job = cls(
                id=fields["job_id"],
                type=fields["type"],
                payload=payload,
                delivery=earlier + entry.deliveries,
                dedup_key=fields.get("dedup") or None,
                enqueued_at=int(fields.get("enqueued_at", "0")) / 1000,
                request_id=fields.get("request_id") or None,
                last_error=fields.get("error") or None,
            )
        except (KeyError, ValueError) as exc:
            raise InvalidJob(f"unreadable job entry: {exc!r}") from exc
        if not isinstance(payload, dict):
            raise InvalidJob("a job payload is a JSON object")
        return job


def job_fields(
    job_type: str, payload: dict[str, Any], *, job_id: str | None = None, dedup_key: str | None
) -> dict[str, str]:
    return {
        "type": job_type,
        "payload": orjson.dumps(payload).decode(),
        "job_id": job_id or uuid.uuid4().hex,
        "deliveries": "0",
        "dedup": dedup_key or "",
        "enqueued_at": str(int(time.time() * 1000)),
        "request_id": current_request_id() or "",
    }


def _encodable(fields: Mapping[str, str]) -> dict[FieldT, EncodableT]:
    return {name: value for name, value in fields.items()}  # what redis-py's types want


def backoff_delay(delivery: int, base_s: float, max_s: float) -> float:
    """Full-jitter exponential backoff: anywhere in [0, base·2^(delivery-1)], capped."""
    return random.uniform(0, min(max_s, base_s * 2 ** (delivery - 1)))


class JobQueue:
    """Enqueue jobs and move them between the stream, the retry set and the dead stream."""

    def __init__(
        self,
        redis: Redis,
        stream: str = "jobs",
        *,
        dedup_ttl_s: int = DEFAULT_DEDUP_TTL_S,
        dead_max_len: int = DEFAULT_DEAD_MAX_LEN,
    ) -> None:
        self.redis = redis
        self.stream = stream
        self.dead_stream = f"{stream}:dead"
        self.delayed = f"{stream}:delayed"
        self.dedup_ttl_s = dedup_ttl_s
        self.dead_max_len = dead_max_len
        self._scripts = StreamScripts(redis)

    def dedup_mark(self, dedup_key: str) -> str:
        return f"{self.stream}:dedup:{dedup_key}"

    async def enqueue(
        self, job_type: str, payload: dict[str, Any] | None = None, *, dedup_key: str | None = None
    ) -> str | None:
        """Add a job; returns its entry id, or None when ``dedup_key`` was enqueued before.

        A dedup key holds for ``dedup_ttl_s`` from the first enqueue, whether or not the
        job has run meanwhile.
        """
        fields = job_fields(job_type, payload or {}, dedup_key=dedup_key)
        if dedup_key is None:
            return str(await self.redis.xadd(self.stream, _encodable(fields)))
        return await self._scripts.append_once(
            self.stream, fields, self.dedup_mark(dedup_key), self.dedup_ttl_s
        )

    async def retry_later(
        self, group: str, entry: StreamEntry, job: Job, error: str, delay_s: float
    ) -> bool:
        """Acknowledge this delivery and park the job until its retry time, atomically.

        False, and nothing parked, when the entry was no longer pending: another worker
        (that reclaimed it from this stalled one) settled it first.
        """
        fields = {**entry.fields, "deliveries": str(job.delivery), "error": error[:2000]}
        member = orjson.dumps([part for pair in fields.items() for part in pair])
        due_ms = int((time.time() + delay_s) * 1000)
        return await self._scripts.retry_later(
            self.stream, self.delayed, group, entry.id, due_ms, member
        )

    async def bury(self, group: str, entry: StreamEntry, deliveries: int, error: str) -> bool:
        """Move the entry to the dead stream with its last error and acknowledge it, atomically.

        False, and nothing added, when the entry was no longer pending (settled by another
        worker), so a job goes dead once however many workers give up on it.
        """
        fields = {
            **entry.fields,
            "deliveries": str(deliveries),
            "error": error[:2000],
            "entry_id": entry.id,
            "dead_at": str(int(time.time() * 1000)),
        }
        return await self._scripts.bury(
            self.stream, self.dead_stream, group, entry.id, fields, self.dead_max_len
        )

    async def release_due(self, limit: int = 100) -> int:
        """Put jobs whose retry time has come back into the stream; returns how many."""
        now_ms = int(time.time() * 1000)
        return await self._scripts.release_due(self.delayed, self.stream, now_ms, limit)

    async def dead(self, count: int = 100) -> list[StreamEntry]:
        """The most recent dead jobs, newest first."""
        reply: Any = await self.redis.xrevrange(self.dead_stream, count=count)
        return [StreamEntry(entry_id, fields) for entry_id, fields in reply]


ContextT = TypeVar("ContextT")
JobHandler = Callable[[Job, ContextT], Awaitable[None]]


class JobRegistry(Generic[ContextT]):
    """Job types and their handlers; a handler gets the job and a context of resources.

    Like FastAPI's routers: each module declares ``jobs = JobRegistry[Context]()`` with
    ``@jobs.handler("desk.something")`` functions, and the worker includes them all.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler[ContextT]] = {}

    @property
    def types(self) -> list[str]:
        return sorted(self._handlers)

    def handler(self, job_type: str) -> Callable[[JobHandler[ContextT]], JobHandler[ContextT]]:
        def register(function: JobHandler[ContextT]) -> JobHandler[ContextT]:
            self._add(job_type, function)
            return function

        return register

    def include(self, other: JobRegistry[ContextT]) -> None:
        for job_type, function in other._handlers.items():
            self._add(job_type, function)

    def _add(self, job_type: str, function: JobHandler[ContextT]) -> None:
        if self._handlers.get(job_type, function) is not function:
            raise ValueError(f"job type {job_type!r} has two handlers")
        self._handlers[job_type] = function

    def bind(self, context: ContextT) -> Callable[[Job], Awaitable[None]]:
        """One callable that runs any job with its handler and this context."""

        async def run(job: Job) -> None:
            function = self._handlers.get(job.type)
            if function is None:
                raise UnknownJobType(f"no handler for job type {job.type!r}")
            await function(job, context)

        return run

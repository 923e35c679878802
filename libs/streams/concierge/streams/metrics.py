"""Prometheus metrics of the job queues.

Queue gauges (length, pending, delayed, dead, oldest age) describe the queue, not
the process: every worker replica reports the same values, so aggregate them with
``max``. Counters and durations are per process: aggregate them with ``sum``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from concierge.streams.jobs import JobQueue

QUEUE_LENGTH = Gauge(
    "jobs_queue_length",
    "Jobs in the stream: waiting or running (acknowledged ones are gone)",
    ["stream"],
)
QUEUE_PENDING = Gauge(
    "jobs_pending", "Jobs delivered to a worker and not yet acknowledged", ["stream"]
)
QUEUE_DELAYED = Gauge("jobs_delayed", "Failed jobs waiting for their retry time", ["stream"])
QUEUE_DEAD = Gauge("jobs_dead", "Jobs in the dead-letter stream", ["stream"])
QUEUE_OLDEST_AGE = Gauge(
    "jobs_oldest_age_seconds", "How long the oldest job in the stream has been there", ["stream"]
)
JOBS_IN_FLIGHT = Gauge("jobs_in_flight", "Jobs this process is running", ["stream"])
JOBS_PROCESSED = Counter(
    "jobs_processed_total",
    "Deliveries handled, by outcome: done, retried (failed, will run again), dead",
    ["stream", "type", "outcome"],
)
JOB_DURATION = Histogram(
    "job_duration_seconds",
    "Time a job's handler ran, by type and outcome",
    ["stream", "type", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)


@dataclass(frozen=True, slots=True)
class QueueStats:
    length: int
    pending: int
    delayed: int
    dead: int
    oldest_age_s: float


async def queue_stats(queue: JobQueue, group: str) -> QueueStats:
    async with queue.redis.pipeline(transaction=False) as pipe:
        pipe.xlen(queue.stream)
        pipe.xpending(queue.stream, group)
        pipe.zcard(queue.delayed)
        pipe.xlen(queue.dead_stream)
        pipe.xrange(queue.stream, count=1)
        length, pending, delayed, dead, first = await pipe.execute()
    return QueueStats(
        length=int(length),
        pending=int(pending["pending"]),
        delayed=int(delayed),
        dead=int(dead),
        oldest_age_s=_age_s(first),
    )


def _age_s(first: Any) -> float:
    """Age of the stream's first entry, from the time in its id (acked entries are deleted)."""
    if not first:
        return 0.0
    added_ms = int(str(first[0][0]).split("-")[0])
    return max(0.0, time.time() - added_ms / 1000)


async def record_queue_stats(queue: JobQueue, group: str) -> QueueStats:
    stats = await queue_stats(queue, group)
    stream = queue.stream
    QUEUE_LENGTH.labels(stream).set(stats.length)
    QUEUE_PENDING.labels(stream).set(stats.pending)
    QUEUE_DELAYED.labels(stream).set(stats.delayed)
    QUEUE_DEAD.labels(stream).set(stats.dead)
    QUEUE_OLDEST_AGE.labels(stream).set(stats.oldest_age_s)
    return stats

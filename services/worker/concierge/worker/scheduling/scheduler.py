"""Fires due schedules: claim, enqueue, advance, in one transaction.

Every replica runs a scheduler. Each locks the due rows it can get (``FOR UPDATE
SKIP LOCKED``: rows another replica holds are skipped, not waited for), enqueues one
job per row with the dedup key ``schedule:<name>:<tick>``, moves ``next_run_at`` past
now and commits. A row is due again only at its new ``next_run_at``, so each tick
fires once however many replicas run. If the commit fails after the enqueue, the
tick is claimed again later and its dedup key turns the second enqueue into a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from prometheus_client import Counter, Histogram

from concierge.db import Database
from concierge.domain.scheduling.models import Schedule
from concierge.streams import JobQueue
from concierge.worker.scheduling.repository import ScheduleRepository
from concierge.worker.scheduling.timing import next_run

log = logging.getLogger(__name__)

TICKS = Counter(
    "scheduler_ticks_total",
    "Schedule ticks fired, by outcome: enqueued, or duplicate (the tick's dedup key held)",
    ["schedule", "outcome"],
)
LAG = Histogram(
    "scheduler_lag_seconds",
    "Time from a tick's due time to its firing",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)


def tick_dedup_key(schedule: Schedule) -> str:
    return f"schedule:{schedule.name}:{schedule.next_run_at.isoformat()}"


class Scheduler:
    def __init__(
        self, database: Database, queue: JobQueue, *, poll_s: float = 1.0, batch: int = 100
    ) -> None:
        self.database = database
        self.queue = queue
        self.poll_s = poll_s
        self.batch = batch
        self._stopping = asyncio.Event()

    async def fire_due(self) -> int:
        """Fire every due schedule this replica can claim; returns how many fired."""
        async with self.database.transaction() as session:
            schedules = ScheduleRepository(session)
            now = await schedules.now()
            due = await schedules.claim_due(now, self.batch)
            for schedule in due:
                await self._fire(schedule, now)
        return len(due)

    async def _fire(self, schedule: Schedule, now: datetime) -> None:
        tick = schedule.next_run_at
        entry_id = await self.queue.enqueue(
            schedule.job_type, schedule.payload, dedup_key=tick_dedup_key(schedule)
        )
        TICKS.labels(schedule.name, "enqueued" if entry_id else "duplicate").inc()
        LAG.observe(max(0.0, (now - tick).total_seconds()))
        schedule.last_run_at = now
        schedule.next_run_at = next_run(tick, now, schedule.interval_s, schedule.cron)

    async def run(self) -> None:
        """Poll until stop(); a full batch means more may be due, so go on at once."""
        while not self._stopping.is_set():
            try:
                fired = await self.fire_due()
            except Exception as exc:  # the database or Redis is away: try again next poll
                log.warning("firing schedules failed: %r", exc)
                fired = 0
            if fired < self.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.poll_s)

    def stop(self) -> None:
        self._stopping.set()

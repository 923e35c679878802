"""The jobs this worker runs: the platform's own, each desk's, and WORKER_JOB_MODULES.

A job module holds ``jobs = WorkerJobs()`` and its handlers::

    @jobs.handler("feed.refresh")
    async def refresh(job: Job, ctx: WorkerContext) -> None:
        async with ctx.database.transaction() as session:  # one transaction per job
            ...

A handler may run more than once for one job (a worker dies after the commit, before
the acknowledgement), so its effects must be idempotent: unique keys, upserts.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from redis.asyncio import Redis

from concierge.contracts.jobs import PING
from concierge.db import Database
from concierge.streams import Job, JobQueue, JobRegistry
from concierge.worker.embedding import EmbeddingModels
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerContext:
    """What a handler gets besides its job; it opens its own transaction on ``database``."""

    database: Database
    redis: Redis
    queue: JobQueue  # to enqueue follow-up jobs
    embedding: EmbeddingModels  # loaded on first use
    settings: WorkerSettings


WorkerJobs = JobRegistry[WorkerContext]

# Desks add their job modules here ("concierge.worker.<desk>.jobs").
DESK_JOB_MODULES: tuple[str, ...] = (
    "concierge.worker.ingest.jobs",
    "concierge.worker.market.jobs",
    "concierge.worker.watch.jobs",
    "concierge.worker.media.jobs",
    "concierge.worker.rentals.jobs",
)

jobs = WorkerJobs()


@jobs.handler(PING.name)
async def ping(job: Job, ctx: WorkerContext) -> None:
    """Does nothing but log: enqueue it to see that jobs flow end to end."""
    log.info("pong (enqueued %.3f s ago)", time.time() - job.enqueued_at)


def load_jobs(extra_modules: Iterable[str] = ()) -> WorkerJobs:
    registry = WorkerJobs()
    registry.include(jobs)
    for name in (*DESK_JOB_MODULES, *extra_modules):
        found = getattr(importlib.import_module(name), "jobs", None)
        if not isinstance(found, JobRegistry):
            raise RuntimeError(f"job module {name} has no `jobs` registry")
        registry.include(found)
    return registry

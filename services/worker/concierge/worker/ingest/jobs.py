"""Ingest's jobs and its schedule.

- ``ingest.poll`` (every ``WORKER_INGEST_POLL_EVERY_S`` from the ``ingest.poll``
  schedule): claims the due sources and enqueues one ``ingest.fetch_source`` per source
  and due time (dedup key ``ingest.fetch:<source>:<due ms>``).
- ``ingest.fetch_source`` ``{"source_id"}``: one check of the source.
"""

from __future__ import annotations

import logging

from concierge.contracts.jobs import FETCH_SOURCE, INGEST_POLL
from concierge.db import Database
from concierge.streams import Job
from concierge.worker.ingest.hosts import HostSlots
from concierge.worker.ingest.pipeline import DocumentStore
from concierge.worker.ingest.service import IngestService
from concierge.worker.ingest.vectors import wake_vector_keeper
from concierge.worker.jobs import WorkerContext, WorkerJobs
from concierge.worker.scheduling.service import save_schedule
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

POLL_SCHEDULE = "ingest.poll"

jobs = WorkerJobs()


def ingest_service(ctx: WorkerContext) -> IngestService:
    settings = ctx.settings
    slots = HostSlots(
        ctx.redis, settings.ingest_per_host_limit, lease_s=settings.ingest_fetch_timeout_s + 10
    )
    return IngestService(ctx.database, ctx.queue, settings, slots)


@jobs.handler(INGEST_POLL.name)
async def poll(job: Job, ctx: WorkerContext) -> None:
    enqueued = await ingest_service(ctx).poll()
    if enqueued:
        log.info("%d source(s) due: fetch jobs enqueued", enqueued)


@jobs.handler(FETCH_SOURCE.name)
async def fetch_source(job: Job, ctx: WorkerContext) -> None:
    store = DocumentStore(ctx.database)
    await ingest_service(ctx).check(FETCH_SOURCE.parse(job.payload).source_id, store)
    await wake_vector_keeper(ctx.redis)


async def save_poll_schedule(database: Database, settings: WorkerSettings) -> None:
    """Create (or update) the poll schedule; a paused ingest keeps it, disabled."""
    async with database.transaction() as session:
        await save_schedule(
            session,
            POLL_SCHEDULE,
            INGEST_POLL.name,
            every_s=settings.ingest_poll_every_s,
            enabled=settings.ingest_enabled,
        )

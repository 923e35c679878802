"""The watch desk's jobs (payloads: ``concierge.contracts.jobs``).

- ``watch.poll`` (the ``watch.poll`` schedule, every ``WORKER_WATCH_POLL_EVERY_S``):
  claims due targets and enqueues one ``watch.poll_target`` each, with the dedup key
  ``watch.poll:<target>:<due time>``;
- ``watch.poll_target`` ``{"target_id"}``: one polite poll (``poller``);
- ``watch.deliver`` (the ``watch.deliver`` schedule, every ``WORKER_WATCH_DELIVER_EVERY_S``):
  asks the api to send held messages whose time came and the daily digests due;
- ``watch.refresh_catalogs`` (every ``WORKER_WATCH_CATALOG_EVERY_S``, and at once for a
  new provider): providers' offices and services, sent to the api.
"""

from __future__ import annotations

from concierge.common.http_client import ServiceClient
from concierge.contracts.jobs import (
    WATCH_CATALOGS,
    WATCH_DELIVER,
    WATCH_POLL,
    WATCH_POLL_TARGET,
    TargetPayload,
)
from concierge.db import Database
from concierge.streams import Job
from concierge.worker.jobs import WorkerContext, WorkerJobs
from concierge.worker.scheduling.service import save_schedule
from concierge.worker.settings import WorkerSettings
from concierge.worker.watch.poller import WatchPoller, provider_client

POLL_SCHEDULE = "watch.poll"
CATALOG_SCHEDULE = "watch.catalogs"
DELIVER_SCHEDULE = "watch.deliver"
DELIVERIES = "/api/v1/watch/service/deliveries"
CATALOG_CHECK_EVERY_S = 300.0  # new providers wait at most this long for their catalog

jobs = WorkerJobs()


def _api(ctx: WorkerContext) -> ServiceClient:
    return ServiceClient(
        ctx.settings.api_url, ctx.settings.service_token.get_secret_value(), timeout=60.0
    )


@jobs.handler(WATCH_POLL.name)
async def poll_due(job: Job, ctx: WorkerContext) -> None:
    async with provider_client(ctx.settings) as http, _api(ctx) as api:
        poller = WatchPoller(ctx.database, ctx.redis, ctx.settings, http=http, api=api)
        for due in await poller.claim_due():
            await ctx.queue.enqueue(
                WATCH_POLL_TARGET.name,
                WATCH_POLL_TARGET.dump(TargetPayload(target_id=due.id)),
                dedup_key=f"watch.poll:{due.id}:{due.due_at.isoformat()}",
            )


@jobs.handler(WATCH_POLL_TARGET.name)
async def poll_target(job: Job, ctx: WorkerContext) -> None:
    target_id = WATCH_POLL_TARGET.parse(job.payload).target_id
    async with provider_client(ctx.settings) as http, _api(ctx) as api:
        poller = WatchPoller(ctx.database, ctx.redis, ctx.settings, http=http, api=api)
        await poller.poll(target_id)


@jobs.handler(WATCH_DELIVER.name)
async def deliver(job: Job, ctx: WorkerContext) -> None:
    async with _api(ctx) as api:
        await api.request("POST", DELIVERIES)


@jobs.handler(WATCH_CATALOGS.name)
async def refresh_catalogs(job: Job, ctx: WorkerContext) -> None:
    async with provider_client(ctx.settings) as http, _api(ctx) as api:
        poller = WatchPoller(ctx.database, ctx.redis, ctx.settings, http=http, api=api)
        await poller.refresh_catalogs(ctx.settings.watch_catalog_every_s)


async def save_watch_schedules(database: Database, settings: WorkerSettings) -> None:
    async with database.transaction() as session:
        await save_schedule(
            session,
            POLL_SCHEDULE,
            WATCH_POLL.name,
            every_s=settings.watch_poll_every_s,
            enabled=settings.watch_enabled,
        )
        await save_schedule(
            session,
            CATALOG_SCHEDULE,
            WATCH_CATALOGS.name,
            every_s=CATALOG_CHECK_EVERY_S,
            enabled=settings.watch_enabled,
        )
        await save_schedule(
            session,
            DELIVER_SCHEDULE,
            WATCH_DELIVER.name,
            every_s=settings.watch_deliver_every_s,
            enabled=settings.watch_enabled,
        )

"""The media desk's jobs (payloads: ``concierge.contracts.jobs``).

- ``media.downloads.watch`` (the ``media.downloads.watch`` schedule, every
  ``WORKER_MEDIA_WATCH_EVERY_S``): claims downloads due for a check and enqueues one
  ``media.downloads.check`` per person's seedbox, dedup key
  ``media.check:<user>:<seedbox>:<job id>``;
- ``media.downloads.check`` ``{"user_id", "seedbox_id"}``: one look at that seedbox
  (``watcher``), telling the person once when a download is done or stalled.
"""

from __future__ import annotations

from concierge.common.http_client import ServiceClient
from concierge.contracts.jobs import MEDIA_CHECK, MEDIA_WATCH, SeedboxPayload
from concierge.db import Database
from concierge.streams import Job
from concierge.worker.jobs import WorkerContext, WorkerJobs
from concierge.worker.media.watcher import DownloadWatcher
from concierge.worker.scheduling.service import save_schedule
from concierge.worker.settings import WorkerSettings

WATCH_SCHEDULE = "media.downloads.watch"

jobs = WorkerJobs()


def _api(ctx: WorkerContext) -> ServiceClient:
    return ServiceClient(
        ctx.settings.api_url, ctx.settings.service_token.get_secret_value(), timeout=30.0
    )


@jobs.handler(MEDIA_WATCH.name)
async def watch_due(job: Job, ctx: WorkerContext) -> None:
    async with _api(ctx) as api:
        watcher = DownloadWatcher(ctx.database, ctx.settings, api=api)
        for user_id, seedbox_id in await watcher.claim_due():
            await ctx.queue.enqueue(
                MEDIA_CHECK.name,
                MEDIA_CHECK.dump(SeedboxPayload(user_id=user_id, seedbox_id=seedbox_id)),
                dedup_key=f"media.check:{user_id}:{seedbox_id}:{job.id}",
            )


@jobs.handler(MEDIA_CHECK.name)
async def check_seedbox(job: Job, ctx: WorkerContext) -> None:
    payload = MEDIA_CHECK.parse(job.payload)
    async with _api(ctx) as api:
        watcher = DownloadWatcher(ctx.database, ctx.settings, api=api)
        await watcher.check(payload.user_id, payload.seedbox_id)


async def save_media_schedules(database: Database, settings: WorkerSettings) -> None:
    async with database.transaction() as session:
        await save_schedule(
            session,
            WATCH_SCHEDULE,
            MEDIA_WATCH.name,
            every_s=settings.media_watch_every_s,
            enabled=settings.media_watch_enabled,
        )

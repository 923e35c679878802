"""The market desk's jobs (their payloads: ``concierge.contracts.jobs``).

- ``market.thumbnail`` ``{"photo_id"}``: enqueued by the api once an upload passed its
  checks; makes the thumbnail and marks the photo ready. Idempotent; a deleted photo is
  a no-op.
- ``market.index_listing`` / ``market.unindex_listing`` ``{"listing_id"}`` and the
  ``market.reindex`` sweep (every ``REINDEX_EVERY_S``): listings in and out of search
  (``concierge.worker.market.indexing``).
- ``market.expiry_sweep`` (the ``market.expiry`` schedule, every
  ``WORKER_MARKET_EXPIRY_EVERY_S``): asks the api to remind sellers of listings that run
  out soon and to expire those that ran out (the listing's rules and texts live there).
"""

from __future__ import annotations

import logging

from concierge.common.http_client import ServiceClient
from concierge.contracts.jobs import (
    EXPIRY_SWEEP,
    INDEX_LISTING,
    REINDEX_LISTINGS,
    THUMBNAIL,
    UNINDEX_LISTING,
)
from concierge.db import Database
from concierge.storage.backends import Storage, build_storage
from concierge.streams import Job
from concierge.worker.ingest.vectors import wake_vector_keeper
from concierge.worker.jobs import WorkerContext, WorkerJobs
from concierge.worker.market.indexing import ListingIndexer
from concierge.worker.market.repository import PhotoRepository
from concierge.worker.market.thumbnails import make_thumbnail
from concierge.worker.scheduling.service import save_schedule
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

REINDEX_SCHEDULE = "market.reindex"
REINDEX_EVERY_S = 300.0
EXPIRY_SCHEDULE = "market.expiry"
EXPIRY_PATH = "/api/v1/market/expiry-sweep"

jobs = WorkerJobs()

_storages: dict[int, Storage] = {}


def storage_for(settings: WorkerSettings) -> Storage:
    """One storage per settings object (an S3 client is worth keeping)."""
    storage = _storages.get(id(settings))
    if storage is None:
        storage = _storages[id(settings)] = build_storage(settings)
    return storage


def listing_indexer(ctx: WorkerContext) -> ListingIndexer:
    return ListingIndexer(ctx.database)


@jobs.handler(THUMBNAIL.name)
async def thumbnail(job: Job, ctx: WorkerContext) -> None:
    photo_id = THUMBNAIL.parse(job.payload).photo_id
    async with ctx.database.transaction() as session:
        await make_thumbnail(PhotoRepository(session), storage_for(ctx.settings), photo_id)


@jobs.handler(INDEX_LISTING.name)
async def index_listing(job: Job, ctx: WorkerContext) -> None:
    listing_id = INDEX_LISTING.parse(job.payload).listing_id
    outcome = await listing_indexer(ctx).sync(listing_id)
    await wake_vector_keeper(ctx.redis)
    log.debug("listing %d: %s", listing_id, outcome.value)


@jobs.handler(UNINDEX_LISTING.name)
async def unindex_listing(job: Job, ctx: WorkerContext) -> None:
    listing_id = UNINDEX_LISTING.parse(job.payload).listing_id
    outcome = await listing_indexer(ctx).remove(listing_id)
    log.debug("listing %d: %s", listing_id, outcome.value)


@jobs.handler(REINDEX_LISTINGS.name)
async def reindex(job: Job, ctx: WorkerContext) -> None:
    result = await listing_indexer(ctx).sweep()
    if result.indexed or result.removed or result.failed:
        log.info(
            "listing sweep: %d indexed, %d removed, %d failed",
            result.indexed,
            result.removed,
            result.failed,
        )


@jobs.handler(EXPIRY_SWEEP.name)
async def expiry_sweep(job: Job, ctx: WorkerContext) -> None:
    """One pass of the api's expiry sweep (safe to repeat: a retry reminds nobody twice)."""
    token = ctx.settings.service_token.get_secret_value()
    async with ServiceClient(ctx.settings.api_url, token, timeout=60.0) as api:
        done = (await api.request("POST", EXPIRY_PATH, idempotent=True)).json()
    if done.get("reminded") or done.get("expired"):
        log.info("listings: %s sellers reminded, %s expired", done["reminded"], done["expired"])


async def save_expiry_schedule(database: Database, settings: WorkerSettings) -> None:
    async with database.transaction() as session:
        await save_schedule(
            session, EXPIRY_SCHEDULE, EXPIRY_SWEEP.name, every_s=settings.market_expiry_every_s
        )


async def save_reindex_schedule(database: Database, settings: WorkerSettings) -> None:
    """Create (or update) the sweep's schedule; paused with ingest (WORKER_INGEST_ENABLED),
    whose documents and model it shares."""
    async with database.transaction() as session:
        await save_schedule(
            session,
            REINDEX_SCHEDULE,
            REINDEX_LISTINGS.name,
            every_s=REINDEX_EVERY_S,
            enabled=settings.ingest_enabled,
        )

"""The market desk's jobs.

- ``market.thumbnail`` ``{"photo_id"}``: enqueued by the api once an upload passed its
  checks; makes the thumbnail and marks the photo ready. Idempotent; a deleted photo is
  a no-op.
"""

from __future__ import annotations

from concierge.api.market.photos import THUMBNAIL_JOB
from concierge.api.market.storage import Storage, build_storage
from concierge.streams import Job
from concierge.worker.jobs import WorkerContext, WorkerJobs
from concierge.worker.market.thumbnails import make_thumbnail
from concierge.worker.settings import WorkerSettings

jobs = WorkerJobs()

_storages: dict[int, Storage] = {}


def storage_for(settings: WorkerSettings) -> Storage:
    """One storage per settings object (an S3 client is worth keeping)."""
    storage = _storages.get(id(settings))
    if storage is None:
        storage = _storages[id(settings)] = build_storage(settings)
    return storage


@jobs.handler(THUMBNAIL_JOB)
async def thumbnail(job: Job, ctx: WorkerContext) -> None:
    storage = storage_for(ctx.settings)
    async with ctx.database.transaction() as session:
        await make_thumbnail(session, storage, int(job.payload["photo_id"]))

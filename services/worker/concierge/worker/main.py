"""The worker's ASGI app: /health, /ready and /metrics, with the job consumer and the
scheduler running beside it for the app's lifetime.

On SIGTERM uvicorn ends the lifespan: the scheduler and the consumer stop, running
jobs get ``stop_grace_s`` to finish, and jobs still running after that are left
unacknowledged for another replica to reclaim.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis

from concierge.common.service_app import DegradedInfo, ReadinessCheck, create_service_app
from concierge.db import Database
from concierge.streams import JobQueue, JobWorker, StreamGroup
from concierge.worker.embedding import EmbeddingModels
from concierge.worker.embedding import router as embedding_router
from concierge.worker.ingest.jobs import save_poll_schedule
from concierge.worker.ingest.vectors import VectorKeeper
from concierge.worker.jobs import WorkerContext, load_jobs
from concierge.worker.market.jobs import save_expiry_schedule, save_reindex_schedule
from concierge.worker.media.jobs import save_media_schedules
from concierge.worker.observability.gauges import StateGauges
from concierge.worker.rentals.jobs import save_rentals_schedules
from concierge.worker.scheduling.scheduler import Scheduler
from concierge.worker.settings import WorkerSettings
from concierge.worker.watch.health import unhealthy_targets
from concierge.worker.watch.jobs import save_watch_schedules

log = logging.getLogger(__name__)


def create_app(settings: WorkerSettings | None = None) -> FastAPI:
    settings = settings or WorkerSettings()
    registry = load_jobs(settings.job_modules)  # a bad module fails the start, not a job

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = Redis.from_url(settings.redis_url, decode_responses=True)
        database = Database(settings.database_url, pool_size=settings.database_pool_size)
        app.state.redis, app.state.database = redis, database
        queue = JobQueue(
            redis,
            settings.stream,
            dedup_ttl_s=settings.dedup_ttl_s,
            dead_max_len=settings.dead_max_len,
        )
        group = StreamGroup(redis, settings.stream, settings.group, settings.consumer_name)
        embedding = EmbeddingModels(settings, database)
        app.state.embedding = embedding
        run_job = registry.bind(WorkerContext(database, redis, queue, embedding, settings))
        worker = JobWorker(queue, group, run_job, settings.worker_options())
        scheduler = Scheduler(
            database, queue, poll_s=settings.scheduler_poll_s, batch=settings.scheduler_batch
        )
        log.info(
            "consuming %s as %s; job types: %s; scheduler %s",
            settings.stream,
            settings.consumer_name,
            ", ".join(registry.types),
            "on" if settings.scheduler_enabled else "off",
        )
        worker.start()
        scheduling = asyncio.create_task(scheduler.run()) if settings.scheduler_enabled else None
        desk_schedules = asyncio.create_task(_save_desk_schedules(database, settings))
        preload = settings.embedding_preload
        preloading = asyncio.create_task(embedding.preload()) if preload else None
        keeper = VectorKeeper(database, redis, embedding, settings)
        keeping = asyncio.create_task(keeper.run()) if settings.vectors_enabled else None
        gauges = StateGauges(database, settings.state_gauges_every_s)
        gauging = asyncio.create_task(gauges.run())
        try:
            yield
        finally:
            scheduler.stop()
            keeper.stop()
            gauges.stop()
            await asyncio.gather(
                worker.shutdown(settings.stop_grace_s),
                _finish(scheduling, settings.stop_grace_s),
                _finish(keeping, settings.stop_grace_s),
                _finish(gauging, settings.stop_grace_s),
                _finish(desk_schedules, 0),
                _finish(preloading, 0),
            )
            embedding.close()
            await redis.aclose()
            await database.dispose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"redis": app.state.redis.ping, "postgres": app.state.database.ping}

    def degraded(app: FastAPI) -> Mapping[str, DegradedInfo]:
        return {"watch_targets": lambda: unhealthy_targets(app.state.database)}

    app = create_service_app(
        "worker", settings, lifespan=lifespan, readiness=readiness, degraded=degraded
    )
    app.state.settings = settings
    app.state.service_token = settings.service_token.get_secret_value()
    app.include_router(embedding_router)
    return app


async def _save_desk_schedules(database: Database, settings: WorkerSettings) -> None:
    """The desks' periodic jobs, (re)declared at every start; they outlive the process,
    so a start that cannot reach Postgres only logs and keeps the last declaration."""
    try:
        await save_poll_schedule(database, settings)
    except Exception as exc:  # Postgres away or not migrated yet: the worker still runs
        log.warning("could not save the ingest schedule: %r", exc)
    try:
        await save_reindex_schedule(database, settings)
    except Exception as exc:  # as above: the sweep's last declaration stays
        log.warning("could not save the listing reindex schedule: %r", exc)
    try:
        await save_expiry_schedule(database, settings)
    except Exception as exc:  # as above
        log.warning("could not save the listing expiry schedule: %r", exc)
    try:
        await save_watch_schedules(database, settings)
        await save_rentals_schedules(database, settings)
    except Exception as exc:  # as above
        log.warning("could not save the watch schedules: %r", exc)
    try:
        await save_media_schedules(database, settings)
    except Exception as exc:  # as above
        log.warning("could not save the media download schedule: %r", exc)


async def _finish(task: asyncio.Task[None] | None, timeout_s: float) -> None:
    """Let a stopped loop end its current round; cancel it after timeout_s."""
    if task is None:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(task), timeout_s)
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

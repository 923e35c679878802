"""The feed desk's jobs (payloads: ``concierge.contracts.jobs``).

- ``feed.train`` ``{"user_id"}`` (the api enqueues it at the end of a training round and
  after each like or dislike in the feed): the reader's model from all their ratings
  (``relevance.fit``: the content model, or the logistic regression once there are
  ``WORKER_FEED_MIN_RATINGS``), stored in ``feed_models`` for the api to rank with.
  Idempotent: it trains on what is stored, under a per-reader advisory lock;
- ``feed.nudge`` (the ``feed.nudge`` schedule, every ``WORKER_FEED_NUDGE_EVERY_S``): asks
  the api to nudge idle readers (exactly once per reader and period: the api's unique
  key, whichever replica asks).
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common.http_client import ServiceClient
from concierge.contracts.jobs import FEED_NUDGE, FEED_TRAIN
from concierge.db import Database
from concierge.streams import Job
from concierge.worker.feed.relevance import Example, fit, recency
from concierge.worker.feed.repository import FeedTrainingRepository
from concierge.worker.jobs import WorkerContext, WorkerJobs
from concierge.worker.scheduling.service import save_schedule
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

NUDGE_SCHEDULE = "feed.nudge"
NUDGES = "/api/v1/feed/service/nudges"

jobs = WorkerJobs()


async def train_reader_in(session: AsyncSession, user_id: int, min_ratings: int) -> str:
    """Train and store one reader's model in the caller's transaction; what was done."""
    repository = FeedTrainingRepository(session)
    await repository.lock_reader(user_id)
    model_id = await repository.active_model()
    if model_id is None:
        return "no embedding model yet"
    rated = await repository.rated(user_id, model_id)
    examples = [
        Example(post.embedding, post.source_id, recency(post.age_days), post.value)
        for post in rated
    ]
    started = time.perf_counter()
    model = await asyncio.to_thread(fit, examples, min_ratings=min_ratings)
    if model is None:
        return "no ratings"
    await repository.save(user_id, model_id, model, await repository.now())
    return (
        f"{model.kind} over {model.ratings_used} ratings in {time.perf_counter() - started:.3f} s"
    )


async def train_reader(database: Database, user_id: int, min_ratings: int) -> str:
    async with database.transaction() as session:
        return await train_reader_in(session, user_id, min_ratings)


@jobs.handler(FEED_TRAIN.name)
async def train(job: Job, ctx: WorkerContext) -> None:
    user_id = FEED_TRAIN.parse(job.payload).user_id
    outcome = await train_reader(ctx.database, user_id, ctx.settings.feed_min_ratings)
    log.info("feed model of reader %s: %s", user_id, outcome)


@jobs.handler(FEED_NUDGE.name)
async def nudge(job: Job, ctx: WorkerContext) -> None:
    async with ServiceClient(
        ctx.settings.api_url, ctx.settings.service_token.get_secret_value(), timeout=60.0
    ) as api:
        response = await api.request("POST", NUDGES)
    log.info("feed nudges: %s", response.json())


async def save_feed_schedules(database: Database, settings: WorkerSettings) -> None:
    async with database.transaction() as session:
        await save_schedule(
            session,
            NUDGE_SCHEDULE,
            FEED_NUDGE.name,
            every_s=settings.feed_nudge_every_s,
            enabled=settings.feed_enabled,
        )

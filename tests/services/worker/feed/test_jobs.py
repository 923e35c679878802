"""feed.train as the worker runs it (its own transaction on the workers' database): the
reader's ratings with their posts' vectors make the content model, then the logistic
regression once there are enough of both kinds; running it again changes nothing; a
reader without ratings gets no model. The nudge schedule is declared."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import text

from concierge.contracts.jobs import FEED_TRAIN
from concierge.db import Database
from concierge.streams import Job, JobQueue
from concierge.worker.feed.jobs import save_feed_schedules, train
from concierge.worker.jobs import WorkerContext
from concierge.worker.settings import WorkerSettings
from tests.services.api.feed.conftest import TOPICS, add_posts
from tests.services.api.search.factories import add_source, register_model

READER = 740_001


@pytest.fixture
async def reader(database: Database) -> AsyncIterator[tuple[int, list[int]]]:
    """A reader of one channel whose posts have vectors; their document ids by topic."""
    async with database.transaction() as session:
        model_id = await register_model(session, "feed-test-8d", 8)
        source_id = await add_source(session, "Worker feed channel", kind="telegram")
        posts = await add_posts(session, source_id, model_id, list(TOPICS) * 10, seed=11)
        user_id = await session.scalar(
            text(
                "INSERT INTO users (telegram_id, first_name, role, status) "
                "VALUES (:t, 'Reader', 'user', 'trained') RETURNING id"
            ),
            {"t": READER},
        )
    yield int(user_id), [d for d, topic in posts.items()]
    async with database.transaction() as session:
        await session.execute(text("DELETE FROM users WHERE telegram_id = :t"), {"t": READER})
        await session.execute(text("DELETE FROM sources WHERE id = :s"), {"s": source_id})


async def _rate(database: Database, user_id: int, ratings: dict[int, int]) -> None:
    async with database.transaction() as session:
        for document_id, value in ratings.items():
            await session.execute(
                text(
                    "INSERT INTO feed_ratings (user_id, document_id, value, phase) "
                    "VALUES (:u, :d, :v, 'training') ON CONFLICT DO NOTHING"
                ),
                {"u": user_id, "d": document_id, "v": value},
            )


async def _model(database: Database, user_id: int) -> tuple[str, int] | None:
    async with database.transaction() as session:
        row = (
            await session.execute(
                text("SELECT kind, ratings_used FROM feed_models WHERE user_id = :u"),
                {"u": user_id},
            )
        ).first()
    return None if row is None else (row[0], row[1])


async def test_the_train_job_stores_the_readers_model(
    database: Database, wredis: Redis, reader: tuple[int, list[int]]
) -> None:
    user_id, documents = reader
    settings = WorkerSettings(service_token=SecretStr("t" * 32), feed_min_ratings=20)
    ctx = WorkerContext(database, wredis, JobQueue(wredis, "feed-test-jobs"), None, settings)  # type: ignore[arg-type]
    job = Job(id="1-0", type=FEED_TRAIN.name, payload={"user_id": user_id}, delivery=1)

    await train(job, ctx)  # no ratings yet: no model, no error
    assert await _model(database, user_id) is None

    topic_of = {d: TOPICS[i % len(TOPICS)] for i, d in enumerate(documents)}
    first = documents[:4]
    await _rate(database, user_id, {d: 1 if topic_of[d] == "bikes" else -1 for d in first})
    await _rate(database, user_id, {documents[4]: 0})  # a skip teaches nothing
    await train(job, ctx)
    assert await _model(database, user_id) == ("content", 4)

    more = documents[5:29]
    await _rate(database, user_id, {d: 1 if topic_of[d] == "bikes" else -1 for d in more})
    await train(job, ctx)
    await train(job, ctx)  # again: the same model
    assert await _model(database, user_id) == ("logistic", 28)


async def test_the_nudge_schedule_is_declared(database: Database) -> None:
    settings = WorkerSettings(service_token=SecretStr("t" * 32), feed_nudge_every_s=123.0)
    await save_feed_schedules(database, settings)
    async with database.transaction() as session:
        row = (
            await session.execute(
                text(
                    "SELECT job_type, interval_s, enabled FROM schedules WHERE name = 'feed.nudge'"
                )
            )
        ).one()
    assert tuple(row) == ("feed.nudge", 123.0, True)

"""Nudges: a reader idle for API_FEED_NUDGE_AFTER_DAYS gets their best unseen post, once
per period however many worker replicas ask at the same moment, never in their quiet
hours; after API_FEED_NUDGE_MAX_IGNORED unanswered nudges they are churned, and coming
back makes them active again.

Two api replicas here run on their own committed transactions (not the rolled-back test
session), so the race between them is a real one in Postgres."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from concierge.api.main import create_app
from concierge.api.settings import ApiSettings
from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.db import Database
from concierge.domain.ingest.vectors import vector_index_name
from concierge.streams import JobQueue
from tests.services.api.conftest import SERVICE_TOKEN
from tests.services.api.feed.conftest import TOPICS, add_posts
from tests.services.api.search.factories import add_source, register_model

READERS = (730_001, 730_002, 730_003)
NUDGES = "/api/v1/feed/service/nudges"


@pytest.fixture
async def replicas(database_url: str, redis: Redis) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients, databases = [], []
    async with AsyncExitStack() as stack:
        for _ in range(2):
            app = create_app(ApiSettings(service_token=SecretStr(SERVICE_TOKEN)))
            database = Database(database_url)
            databases.append(database)
            app.state.database = database
            app.state.redis = redis
            app.state.jobs = JobQueue(redis, app.state.settings.jobs_stream)
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                    base_url="http://api",
                    headers={SERVICE_TOKEN_HEADER: SERVICE_TOKEN},
                )
            )
            clients.append(client)
        yield clients
    for database in databases:
        await database.dispose()


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed (the replicas must see it), cleaned up after."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        yield session
        await session.rollback()
        await session.execute(
            text("DELETE FROM users WHERE telegram_id = ANY(:ids)"), {"ids": list(READERS)}
        )
        await session.execute(text("DELETE FROM outbox WHERE kind = 'feed.nudge'"))
        await session.execute(text("DELETE FROM sources WHERE title LIKE 'Nudge channel%'"))
        model_ids = (
            (
                await session.execute(
                    text("SELECT id FROM embedding_models WHERE name = 'feed-test-8d'")
                )
            )
            .scalars()
            .all()
        )
        await session.execute(text("DELETE FROM embedding_models WHERE name = 'feed-test-8d'"))
        for model_id in model_ids:  # its index too: the schema stays the models' schema
            await session.execute(text(f"DROP INDEX IF EXISTS {vector_index_name(model_id)}"))
        await session.commit()


async def _reader(
    session: AsyncSession, telegram_id: int, source_id: int, status: str, idle_days: float
) -> int:
    user_id = await session.scalar(
        text(
            "INSERT INTO users (telegram_id, first_name, language_code, status, role) "
            "VALUES (:t, 'Reader', 'en', :status, 'user') RETURNING id"
        ),
        {"t": telegram_id, "status": status},
    )
    await session.execute(
        text(
            "INSERT INTO feed_readers (user_id, last_active_at) "
            "VALUES (:u, now() - make_interval(secs => :idle))"
        ),
        {"u": user_id, "idle": idle_days * 86400},
    )
    await session.execute(
        text("INSERT INTO feed_channels (user_id, source_id) VALUES (:u, :s)"),
        {"u": user_id, "s": source_id},
    )
    return int(user_id)


async def _age(session: AsyncSession, user_id: int, days: float) -> None:
    """Time passes for the reader: their activity and last nudge move back."""
    await session.execute(
        text(
            "UPDATE feed_readers SET last_active_at = last_active_at - make_interval(secs => :s),"
            " last_nudged_at = last_nudged_at - make_interval(secs => :s) WHERE user_id = :u"
        ),
        {"s": days * 86400, "u": user_id},
    )
    await session.commit()


async def test_idle_readers_are_nudged_exactly_once_across_replicas(
    replicas: list[httpx.AsyncClient], committed: AsyncSession
) -> None:
    session = committed
    model_id = await register_model(session, "feed-test-8d", 8)
    source_id = await add_source(session, "Nudge channel 1", kind="telegram")
    await add_posts(session, source_id, model_id, list(TOPICS) * 3, seed=7)
    idle = await _reader(session, READERS[0], source_id, "active", idle_days=4)
    fresh = await _reader(session, READERS[1], source_id, "active", idle_days=1)
    quiet = await _reader(session, READERS[2], source_id, "active", idle_days=4)
    hour = datetime.now(UTC).hour
    await session.execute(
        text("UPDATE feed_readers SET quiet_from = :f, quiet_to = :t WHERE user_id = :u"),
        {"f": hour, "t": (hour + 2) % 24, "u": quiet},
    )
    await session.commit()

    answers = await asyncio.gather(*(replica.post(NUDGES) for replica in replicas * 3))
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    assert sum(answer.json()["nudged"] for answer in answers) == 1
    rows = (
        await session.execute(
            text("SELECT chat_id, dedup_key, payload FROM outbox WHERE kind = 'feed.nudge'")
        )
    ).all()
    assert [row.chat_id for row in rows] == [READERS[0]]
    payload = rows[0].payload
    assert "While you were away" in payload["text"]
    buttons = payload["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"].rsplit(":", 1)[1] for b in buttons] == ["l", "d", "s"]
    nudged_post = int(buttons[0]["callback_data"].split(":")[2])
    assert fresh
    assert quiet

    # The same period again: nothing more.
    again = await replicas[0].post(NUDGES)
    assert again.json()["nudged"] == 0

    # The reader ignores it; periods pass: one nudge each, never the same post, then churned.
    posts = {nudged_post}
    for _ in range(2):
        await _age(session, idle, 4)
        answer = await replicas[1].post(NUDGES)
        assert answer.json()["nudged"] == 1
        payload = (
            await session.execute(
                text(
                    "SELECT payload FROM outbox WHERE kind = 'feed.nudge' ORDER BY id DESC LIMIT 1"
                )
            )
        ).scalar_one()
        posts.add(
            int(payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[2])
        )
    assert len(posts) == 3
    await _age(session, idle, 4)
    churning = await replicas[0].post(NUDGES)
    assert churning.json() == {"nudged": 0, "churned": 1, "held_quiet": 1}
    status = await session.scalar(text("SELECT status FROM users WHERE id = :u"), {"u": idle})
    assert status == "churned"

    # Coming back (a rating of the nudged post, as its button does): active again.
    back = await replicas[0].post(
        "/api/v1/feed/ratings",
        json={"document_id": nudged_post, "verdict": "like"},
        headers={ACTING_USER_HEADER: str(READERS[0])},
    )
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "active"
    await session.commit()
    ignored = await session.scalar(
        text("SELECT ignored_nudges FROM feed_readers WHERE user_id = :u"), {"u": idle}
    )
    assert ignored == 0

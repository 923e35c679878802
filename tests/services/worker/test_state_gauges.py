"""The state gauges: the outbox's backlog and the sources failing for a day, read from
Postgres into the worker's /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.db import Database
from concierge.worker.observability.gauges import StateGauges

TAG = "state-gauges-test"


def gauge(name: str) -> float:
    value = REGISTRY.get_sample_value(name)
    assert value is not None, name
    return value


@pytest.fixture
async def rows(db: AsyncEngine) -> AsyncIterator[None]:
    """Outbox rows and sources of this test only (removed after it)."""

    async def clean() -> None:
        async with db.begin() as connection:
            await connection.execute(text("DELETE FROM outbox WHERE kind = :tag"), {"tag": TAG})
            await connection.execute(text("DELETE FROM sources WHERE title = :tag"), {"tag": TAG})

    await clean()
    yield
    await clean()


async def add_notification(db: AsyncEngine, key: str, status: str, due: timedelta) -> None:
    async with db.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO outbox (dedup_key, chat_id, kind, payload, status, next_attempt_at) "
                "VALUES (:key, 1, :tag, '{}', :status, now() + CAST(:due AS interval))"
            ),
            {"key": f"{TAG}:{key}", "tag": TAG, "status": status, "due": due},
        )


async def add_source(
    db: AsyncEngine, url: str, *, failing_for: timedelta, enabled: bool = True
) -> None:
    async with db.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO sources (kind, url, title, poll_interval_s, error_count, enabled, "
                "created_at) VALUES ('rss', :url, :tag, 900, 3, :enabled, "
                "now() - CAST(:ago AS interval))"
            ),
            {"url": url, "tag": TAG, "enabled": enabled, "ago": failing_for},
        )


async def test_the_backlog_counts_due_notifications_and_the_oldest_wait(
    db: AsyncEngine, database: Database, rows: None
) -> None:
    gauges = StateGauges(database, every_s=60)
    await gauges.refresh()
    waiting_before = gauge("notify_outbox_waiting")
    await add_notification(db, "old", "pending", -timedelta(hours=2))
    await add_notification(db, "leased", "leased", -timedelta(minutes=1))
    await add_notification(db, "later", "pending", timedelta(hours=1))  # a retry not due yet
    await add_notification(db, "sent", "sent", -timedelta(hours=3))
    await gauges.refresh()
    assert gauge("notify_outbox_waiting") == waiting_before + 2
    assert 7100 < gauge("notify_outbox_oldest_waiting_seconds") < 7300


async def test_only_enabled_sources_failing_for_a_day_count(
    db: AsyncEngine, database: Database, rows: None
) -> None:
    gauges = StateGauges(database, every_s=60)
    await gauges.refresh()
    before = gauge("ingest_sources_failing_for_a_day")
    await add_source(db, "https://a.example/feed", failing_for=timedelta(days=2))
    await add_source(db, "https://b.example/feed", failing_for=timedelta(hours=1))
    await add_source(db, "https://c.example/feed", failing_for=timedelta(days=3), enabled=False)
    await gauges.refresh()
    assert gauge("ingest_sources_failing_for_a_day") == before + 1

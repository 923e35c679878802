"""The request's session commits before the response goes out."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.common.service_app import create_service_app
from concierge.common.settings import ServiceSettings
from concierge.db import Database, SessionDep


@pytest.fixture
async def deferred_table(engine: AsyncEngine) -> AsyncIterator[str]:
    """A table whose unique constraint is checked only at COMMIT."""
    async with engine.begin() as conn:
        await conn.execute(text(
            "CREATE TABLE commit_probe (k int, CONSTRAINT commit_probe_k UNIQUE (k) "
            "DEFERRABLE INITIALLY DEFERRED)"
        ))  # fmt: skip
    yield "commit_probe"
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE commit_probe"))


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    app = create_service_app("probe", ServiceSettings())
    app.state.database = Database(database_url)

    @app.post("/probe/{k}")
    async def insert_twice(k: int, session: SessionDep) -> dict[str, str]:
        await session.execute(text("INSERT INTO commit_probe VALUES (:k), (:k)"), {"k": k})
        return {"status": "stored"}

    @app.post("/probe-ok/{k}")
    async def insert_once(k: int, session: SessionDep) -> dict[str, str]:
        await session.execute(text("INSERT INTO commit_probe VALUES (:k)"), {"k": k})
        return {"status": "stored"}

    yield app
    await app.state.database.dispose()


async def test_a_failed_commit_is_not_answered_with_success(
    app: FastAPI, deferred_table: str, engine: AsyncEngine
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        failed = await client.post("/probe/1")
        stored = await client.post("/probe-ok/2")
    assert failed.status_code == 500
    assert stored.status_code == 200
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT k FROM commit_probe ORDER BY k"))).all()
    assert [row.k for row in rows] == [2]

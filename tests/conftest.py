"""Session-wide real infrastructure: one embedded Postgres and one Redis.

Integration tests get a database migrated by alembic (one per test worker) and a
session whose work is rolled back after each test; Redis is flushed per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from concierge.embedded import EmbeddedPostgres, EmbeddedRedis
from tests.support.infra import (
    migrated_database,
    running_postgres,
    running_redis,
    scratch_dir,
    worker_name,
)


@pytest.fixture(scope="session")
def scratch() -> Iterator[Path]:
    with scratch_dir() as path:
        yield path


@pytest.fixture(scope="session")
def postgres(scratch: Path) -> Iterator[EmbeddedPostgres]:
    with running_postgres(scratch) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server(scratch: Path) -> Iterator[EmbeddedRedis]:
    with running_redis(scratch) as server:
        yield server


@pytest.fixture(scope="session")
def database_url(postgres: EmbeddedPostgres) -> str:
    return migrated_database(postgres, f"test_{worker_name()}")


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture
async def redis(redis_server: EmbeddedRedis) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()

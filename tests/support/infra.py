"""Embedded Postgres and Redis shared by the whole test session."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import text

from concierge.api.migrate import upgrade_database
from concierge.db import Database
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis


def worker_name() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A short path under /tmp (Unix socket paths must stay short)."""
    path = Path(tempfile.mkdtemp(prefix="cc-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def running_postgres(root: Path) -> Iterator[EmbeddedPostgres]:
    postgres = EmbeddedPostgres(root / "pg").start()
    try:
        yield postgres
    finally:
        postgres.stop()


@contextmanager
def running_redis(root: Path) -> Iterator[EmbeddedRedis]:
    redis = EmbeddedRedis(root / "redis").start()
    try:
        yield redis
    finally:
        redis.stop()


def migrated_database(postgres: EmbeddedPostgres, name: str) -> str:
    postgres.create_database(name, recreate=True)
    url = postgres.url(name)
    upgrade_database(url)
    return url


async def migrated_database_async(postgres: EmbeddedPostgres, name: str) -> str:
    return await asyncio.to_thread(migrated_database, postgres, name)


@asynccontextmanager
async def emptied_database(url: str, tables: str) -> AsyncIterator[Database]:
    """The committed database at ``url`` (a desk's own, for code that opens its own
    transactions, as in production), ``tables`` emptied first; disposed on the way out."""
    database = Database(url)
    async with database.transaction() as session:
        await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()

"""Migrations from scratch, twice, and from two upgraders at once."""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from concierge.api.migrate import upgrade_database
from concierge.embedded import EmbeddedPostgres


async def revisions(url: str) -> list[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        result = [row[0] for row in rows]
    await engine.dispose()
    return result


class TestMigrations:
    async def test_concurrent_upgrades_take_turns(self, postgres: EmbeddedPostgres) -> None:
        # Separate processes, like two deployments starting at once (alembic is not
        # thread-safe, and real upgraders never share a process).
        postgres.create_database("migrate_race", recreate=True)
        url = postgres.url("migrate_race")
        env = {**os.environ, "DATABASE_URL": url, "LOG_JSON": "false"}
        upgraders = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "concierge.api.migrate", env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )
            for _ in range(3)
        ]  # fmt: skip
        outputs = await asyncio.gather(*(p.communicate() for p in upgraders))
        assert [p.returncode for p in upgraders] == [0, 0, 0], outputs
        assert len(await revisions(url)) == 1

    async def test_upgrading_twice_changes_nothing(self, postgres: EmbeddedPostgres) -> None:
        postgres.create_database("migrate_twice", recreate=True)
        url = postgres.url("migrate_twice")
        await asyncio.to_thread(upgrade_database, url)
        first = await revisions(url)
        await asyncio.to_thread(upgrade_database, url)
        assert await revisions(url) == first

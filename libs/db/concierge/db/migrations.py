"""Alembic helpers: the body of every ``env.py`` and a programmatic upgrade.

Migrations run under a Postgres advisory lock, so two deployments (or two test
workers, or ``make dev`` started twice) upgrading at once take turns instead of
racing: the second waits, then finds nothing left to do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

MIGRATION_LOCK_KEY = 0x636F6E6369  # "conci": any constant shared by every upgrader


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    """Upgrade the database at ``database_url``; blocking, call it off the event loop."""
    command.upgrade(alembic_config(script_location, database_url), revision)


def _run_locked(connection: Connection, target_metadata: MetaData) -> None:
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    connection.commit()  # the lock belongs to the session and outlives this transaction
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()


async def _run_online(database_url: str, target_metadata: MetaData) -> None:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_locked, target_metadata)
    finally:
        await engine.dispose()


def run_env(target_metadata: MetaData) -> None:
    """Everything an ``env.py`` needs to do: ``run_env(Base.metadata)``."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set for alembic")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, target_metadata))

"""Engine and session handling.

One ``Database`` per process, created in the lifespan. A request gets one session
from :func:`get_session`; it is committed when the handler returns and rolled back
when it raises. Services and repositories only ``flush()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


class Database:
    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 10) -> None:
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.transaction() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a commit that
# fails reaches the client as an error instead of after a 200 it already has.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_side_session(request: Request) -> AsyncIterator[AsyncSession | None]:
    """A second session, for statements that run beside the request's own (search's two
    arms). Its own transaction: it sees what is committed, not the request's own writes.
    Tests that run every request in one rolled-back session override it with ``None``
    (then the work runs on the request's session, one statement after another)."""
    database: Database = request.app.state.database
    async with database.transaction() as session:
        yield session


SideSessionDep = Annotated[AsyncSession | None, Depends(get_side_session, scope="function")]

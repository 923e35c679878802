"""What the MCP server works with for the life of the process: the api's state and how
a tool call gets its own transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


@dataclass
class McpRuntime:
    state: State
    # None: the api's database (app.state.database, opened in the lifespan); tests give
    # their rolled-back session here, as they override get_session for the routes.
    session_factory: SessionFactory | None = None

    def sessions(self) -> AbstractAsyncContextManager[AsyncSession]:
        if self.session_factory is not None:
            return self.session_factory()
        transaction: AbstractAsyncContextManager[AsyncSession] = self.state.database.transaction()
        return transaction

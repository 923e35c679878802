"""The tool registry: each desk lists its tools in one module of ``mcp/tools/`` (a
``ToolSet``), each tool with the scope it needs; ``tools/__init__.py`` names the desks.

A tool is a plain async function of its arguments (what the agent sends, validated by
its annotations). What it acts with comes from :func:`current_call`: the caller (the
user their token belongs to), a database session for this call only (committed when
the tool returns, rolled back when it raises) and the api's process-wide state (search,
assistant, storage, cursors). The guard (``guard.py``) sets it up around every call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State

from concierge.api.mcp.service import Holder
from concierge.contracts.mcp import McpScope
from concierge.domain.identity.models import User

ToolFunction = Callable[..., Awaitable[Any]]
F = TypeVar("F", bound=ToolFunction)


@dataclass(frozen=True)
class ToolCall:
    """One tool call: who makes it, in which transaction, with what the api holds."""

    user: User
    holder: Holder
    session: AsyncSession
    state: State


_current: ContextVar[ToolCall | None] = ContextVar("mcp_tool_call", default=None)


def current_call() -> ToolCall:
    call = _current.get()
    if call is None:
        raise RuntimeError("a tool runs only through the MCP server's guard")
    return call


@contextmanager
def calling(call: ToolCall) -> Iterator[ToolCall]:
    token = _current.set(call)
    try:
        yield call
    finally:
        _current.reset(token)


@dataclass(frozen=True)
class ToolSpec:
    function: ToolFunction
    name: str
    scope: McpScope
    read_only: bool
    desk: str


@dataclass
class ToolSet:
    """One desk's tools."""

    desk: str
    specs: list[ToolSpec] = field(default_factory=list)

    def tool(
        self, scope: McpScope, *, name: str | None = None, read_only: bool = True
    ) -> Callable[[F], F]:
        """Register ``function`` as the tool ``name`` (default: its own name), which a
        token must have ``scope`` to call. Its docstring is what the agent reads."""

        def register(function: F) -> F:
            self.specs.append(
                ToolSpec(function, name or function.__name__, scope, read_only, self.desk)
            )
            return function

        return register


def scopes_of(toolsets: tuple[ToolSet, ...]) -> dict[str, McpScope]:
    """Each tool's name and scope; two desks naming one tool is a mistake caught here."""
    scopes: dict[str, McpScope] = {}
    for toolset in toolsets:
        for spec in toolset.specs:
            if spec.name in scopes:
                raise ValueError(f"two MCP tools are named {spec.name!r}")
            scopes[spec.name] = spec.scope
    return scopes

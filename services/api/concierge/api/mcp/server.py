"""The MCP surface at ``/mcp`` (streamable HTTP, fastmcp): the desks' tools, bearer
tokens (``auth.py``), the per-call guard (``guard.py``) and the Host check (only the
hosts ``API_MCP_ALLOWED_HOSTS`` names; others get 421)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastmcp import FastMCP
from fastmcp.server.http import StarletteWithLifespan
from mcp_types import ToolAnnotations
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from concierge.api.mcp.auth import ConciergeTokens
from concierge.api.mcp.guard import CallGuard
from concierge.api.mcp.registry import ToolSet, scopes_of
from concierge.api.mcp.runtime import McpRuntime
from concierge.api.mcp.tools import DESKS

MCP_PATH = "/mcp"
INSTRUCTIONS = (
    "Concierge's tools, acting as the person whose token you hold: search posts, articles "
    "and listings, answers with citations, the market's listings. Each tool needs a scope "
    "of the token; tools outside its scopes are not listed."
)


def build_mcp(runtime: McpRuntime, desks: tuple[ToolSet, ...] = DESKS) -> FastMCP:
    mcp = FastMCP(
        name="concierge",
        instructions=INSTRUCTIONS,
        auth=ConciergeTokens(runtime),
        middleware=[CallGuard(runtime, scopes_of(desks))],
        mask_error_details=True,  # a bug's message stays in our logs
    )
    for desk in desks:
        for spec in desk.specs:
            mcp.tool(
                spec.function,
                name=spec.name,
                tags={desk.desk, spec.scope.value},
                meta={"scope": spec.scope.value},
                annotations=ToolAnnotations(
                    readOnlyHint=spec.read_only, destructiveHint=False, openWorldHint=False
                ),
            )
    return mcp


class _AtPath:
    """``/mcp`` (and ``/mcp/``) handed to the MCP app, which serves its root."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "path": "/", "raw_path": b"/"}, receive, send)


def mount_mcp(app: FastAPI, runtime: McpRuntime, allowed_hosts: list[str]) -> StarletteWithLifespan:
    """Serve the MCP app at /mcp; its lifespan (the session manager) is the caller's to
    run inside the api's. The server itself is ``app.state.mcp_server`` (in-process
    clients, tests)."""
    server = build_mcp(runtime)
    app.state.mcp_server = server
    mcp_app = server.http_app(
        path="/",
        host_origin_protection=True,
        allowed_hosts=allowed_hosts,
        json_response=True,
        stateless_http=True,
    )
    endpoint = _AtPath(mcp_app)
    for path in (MCP_PATH, MCP_PATH + "/"):
        app.router.routes.append(
            Route(path, endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False)
        )
    return mcp_app


@asynccontextmanager
async def running(mcp_app: StarletteWithLifespan) -> AsyncIterator[None]:
    """Run the MCP app's lifespan in a task of its own: fastmcp sets and resets context
    variables in it, so it must start and end in one context, whichever task (or test
    fixture's setup and teardown) enters and leaves the api's lifespan."""
    started = asyncio.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with mcp_app.lifespan(mcp_app):
            started.set()
            await stop.wait()

    task = asyncio.create_task(serve(), name="mcp-lifespan")
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if task.done():
        task.result()  # it failed to start: raise its error here
    try:
        yield
    finally:
        stop.set()
        await task

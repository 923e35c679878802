"""The api app on the test's rolled-back session, its MCP server reached in process
(fastmcp's in-memory client) as the holder of a real token issued through the api."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastmcp import Client, FastMCP
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.assistant.service import AssistantRuntime
from concierge.api.mcp.auth import ConciergeTokens
from concierge.api.paging import CursorCodec
from concierge.api.search.service import SearchConfig, SearchRuntime
from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.streams import JobQueue
from tests.services.api.conftest import SERVICE_TOKEN, app_on_session

TOKENS = "/api/v1/mcp/tokens"
ALICE = 820_001
BOB = 820_002

Issue = Callable[..., Awaitable[str]]
Connect = Callable[[str | None], Any]


def serve_mcp(app: FastAPI, session: AsyncSession) -> FastAPI:
    """What the api's lifespan opens for MCP set by hand on ``app`` (search on full text
    only, no LLM), and its MCP calls made in the test's session as the routes are."""
    app.state.search = SearchRuntime(
        config=SearchConfig(), cursors=CursorCodec(b"mcp-tests"), embedder=None
    )
    app.state.assistant = AssistantRuntime(None)

    @asynccontextmanager
    async def nested() -> AsyncIterator[AsyncSession]:
        async with session.begin_nested():
            yield session

    app.state.mcp.session_factory = nested
    return app


@pytest.fixture
async def mcp_app(session: AsyncSession, redis: Redis) -> FastAPI:
    """The api app on the test's session, with Redis and the job queue."""
    app = app_on_session(session)
    app.state.redis = redis
    app.state.jobs = JobQueue(redis, app.state.settings.jobs_stream)
    return serve_mcp(app, session)


@pytest.fixture
async def api(mcp_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mcp_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers={SERVICE_TOKEN_HEADER: SERVICE_TOKEN}
    ) as client:
        yield client


async def register(api: httpx.AsyncClient, telegram_id: int) -> None:
    response = await api.post(
        "/api/v1/users", json={"telegram_id": telegram_id, "first_name": f"U{telegram_id}"}
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def issue(api: httpx.AsyncClient) -> Issue:
    """``await issue(telegram_id, name, scopes=None)``: a token issued through the api
    (the person registered first), its secret."""

    async def issue_token(telegram_id: int, name: str = "agent", scopes: Any = None) -> str:
        await register(api, telegram_id)
        body: dict[str, Any] = {"name": name}
        if scopes is not None:
            body["scopes"] = scopes
        response = await api.post(TOKENS, json=body, headers={ACTING_USER_HEADER: str(telegram_id)})
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    return issue_token


@pytest.fixture
def connect(mcp_app: FastAPI) -> Iterator[Connect]:
    """``async with connect(token) as client``: fastmcp's in-memory client, its calls made
    as the HTTP transport makes them once the bearer token was verified (None: no token)."""
    server: FastMCP = mcp_app.state.mcp_server
    verifier = ConciergeTokens(mcp_app.state.mcp)

    @asynccontextmanager
    async def connected(token: str | None) -> AsyncIterator[Client[Any]]:
        user = None
        if token is not None:
            access = await verifier.verify_token(token)
            assert access is not None, "the token should be live"
            user = AuthenticatedUser(access)
        reset = auth_context_var.set(user)
        try:
            async with Client(server) as client:
                yield client
        finally:
            auth_context_var.reset(reset)

    return connected

"""The market desk's API in-process: real Postgres (rolled back), real Redis, and
callers signed in the way the Mini App signs in (sandbox-signed initData → Bearer)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.common.settings import SANDBOX_BOT_TOKEN
from concierge.sandbox.telegram.webapp import build_init_data
from concierge.streams import JobQueue
from tests.services.api.conftest import ADMIN_ID, SERVICE_TOKEN, app_on_session

SELLER_ID = 700_001
BUYER_ID = 700_002

WebClient = Callable[[int], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def market_app(session: AsyncSession, redis: Redis) -> FastAPI:
    """The api app on the test's session; what its lifespan would open, set by hand."""
    app = app_on_session(session)
    app.state.redis = redis
    app.state.jobs = JobQueue(redis, app.state.settings.jobs_stream)
    return app


@pytest.fixture
async def web_client(market_app: FastAPI) -> AsyncIterator[WebClient]:
    """``await web_client(telegram_id)``: a client signed in as that Telegram user."""
    async with AsyncExitStack() as clients:

        async def signed_in(telegram_id: int) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=market_app, raise_app_exceptions=False)
            client = await clients.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://api")
            )
            user = {"id": telegram_id, "first_name": f"User{telegram_id}", "language_code": "en"}
            init_data = build_init_data(SANDBOX_BOT_TOKEN, user)
            response = await client.post(
                "/api/v1/auth/telegram", headers={"Authorization": f"tma {init_data}"}
            )
            assert response.status_code == 200, response.text
            client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
            return client

        yield signed_in


@pytest.fixture
async def seller(web_client: WebClient) -> httpx.AsyncClient:
    return await web_client(SELLER_ID)


@pytest.fixture
async def buyer(web_client: WebClient) -> httpx.AsyncClient:
    return await web_client(BUYER_ID)


@pytest.fixture
async def admin(web_client: WebClient) -> httpx.AsyncClient:
    return await web_client(ADMIN_ID)


@pytest.fixture
async def service(market_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A trusted service (the bot) calling with the service token."""
    transport = httpx.ASGITransport(app=market_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers={SERVICE_TOKEN_HEADER: SERVICE_TOKEN}
    ) as client:
        yield client

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.main import create_app
from concierge.api.settings import ApiSettings
from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.db import get_session, get_side_session
from tests.support.sessions import no_side_session

SERVICE_TOKEN = "test-service-token-0123456789"
ADMIN_ID = 900_001


def app_on_session(session: AsyncSession, **settings: Any) -> FastAPI:
    """The api app whose every request works in the test's rolled-back session."""
    app = create_app(
        ApiSettings(
            service_token=SecretStr(SERVICE_TOKEN),
            admin_telegram_ids=frozenset({ADMIN_ID}),
            **settings,
        )
    )

    async def test_session() -> AsyncIterator[AsyncSession]:
        async with session.begin_nested():
            yield session

    app.dependency_overrides[get_session] = test_session
    app.dependency_overrides[get_side_session] = no_side_session
    return app


@pytest.fixture
async def api(session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """The api app in-process, on the test's rolled-back session, as a trusted service."""
    app = app_on_session(session)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://api",
        headers={SERVICE_TOKEN_HEADER: SERVICE_TOKEN},
    ) as client:
        yield client

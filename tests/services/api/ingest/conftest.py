"""The api in-process with the sandbox's address allowed, as make dev runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.main import create_app
from concierge.api.settings import ApiSettings
from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.db import get_session
from tests.services.api.conftest import ADMIN_ID, SERVICE_TOKEN

SANDBOX = "127.0.0.1:8010"  # allowed though private; nothing needs to listen there


@pytest.fixture
async def admin_api(session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """The api on the test's rolled-back session, called as a service on behalf of an admin."""
    settings = ApiSettings(
        service_token=SecretStr(SERVICE_TOKEN),
        admin_telegram_ids=frozenset({ADMIN_ID}),
        ingest_allowed_private_hosts=frozenset({SANDBOX}),
    )
    app = create_app(settings)

    async def test_session() -> AsyncIterator[AsyncSession]:
        async with session.begin_nested():
            yield session

    app.dependency_overrides[get_session] = test_session
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {SERVICE_TOKEN_HEADER: SERVICE_TOKEN, ACTING_USER_HEADER: str(ADMIN_ID)}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as api:
        registered = await api.post("/api/v1/users", json={"telegram_id": ADMIN_ID})
        assert registered.status_code == 200, registered.text
        yield api

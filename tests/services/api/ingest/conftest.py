"""The api in-process with the sandbox's address allowed, as make dev runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.contracts.api_client import ACTING_USER_HEADER
from tests.services.api.conftest import ADMIN_ID, SERVICE_TOKEN, app_on_session

SANDBOX = "127.0.0.1:8010"  # allowed though private; nothing needs to listen there


@pytest.fixture
async def admin_api(session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """The api on the test's rolled-back session, called as a service on behalf of an admin."""
    app = app_on_session(session, ingest_allowed_private_hosts=frozenset({SANDBOX}))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {SERVICE_TOKEN_HEADER: SERVICE_TOKEN, ACTING_USER_HEADER: str(ADMIN_ID)}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=headers
    ) as api:
        registered = await api.post("/api/v1/users", json={"telegram_id": ADMIN_ID})
        assert registered.status_code == 200, registered.text
        yield api

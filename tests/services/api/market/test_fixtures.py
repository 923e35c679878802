"""The signed-in clients the market tests use really are who they say."""

from __future__ import annotations

from tests.services.api.conftest import ADMIN_ID


async def test_web_clients_are_signed_in_as_their_users(admin, service):
    assert admin.headers["Authorization"].startswith("Bearer ")
    registered = await service.get(f"/api/v1/users/{ADMIN_ID}")
    assert registered.json()["role"] == "admin"

"""Admin broadcasts: one outbox row per recipient, progress by status."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.api_client import ACTING_USER_HEADER
from tests.services.api.conftest import ADMIN_ID
from tests.services.api.notify.factories import NOTIFICATIONS, claim, report

BROADCASTS = "/api/v1/admin/broadcasts"
AS_ADMIN = {ACTING_USER_HEADER: str(ADMIN_ID)}


async def register(api: httpx.AsyncClient, telegram_id: int, status: str | None = None) -> None:
    assert (await api.post("/api/v1/users", json={"telegram_id": telegram_id})).status_code == 200
    if status:
        path = f"/api/v1/users/{telegram_id}/status"
        assert (await api.put(path, json={"status": status})).status_code == 200


@pytest.fixture
async def audience(api: httpx.AsyncClient, session: AsyncSession) -> list[int]:
    """The admin and three users: one onboarding, one new, one who blocked the bot."""
    # Only this test's users may be in the table (other tests roll theirs back).
    await session.execute(text("DELETE FROM outbox"))
    await register(api, ADMIN_ID)
    await register(api, 7001, "onboarding")
    await register(api, 7002)
    await register(api, 7003)
    await api.put(f"{NOTIFICATIONS}/chats/7003/blocked", json={"blocked": True})
    return [ADMIN_ID, 7001, 7002]


async def broadcast(api: httpx.AsyncClient, body: dict) -> dict:
    response = await api.post(BROADCASTS, json=body, headers=AS_ADMIN)
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestCreate:
    async def test_one_notification_per_reachable_user(
        self, api: httpx.AsyncClient, session: AsyncSession, audience: list[int]
    ) -> None:
        created = await broadcast(api, {"text": "<b>News</b>", "parse_mode": "HTML"})
        assert created["total"] == 3
        assert created["progress"]["pending"] == 3
        rows = await session.execute(
            text("SELECT chat_id, kind, payload FROM outbox WHERE broadcast_id = :id"),
            {"id": created["id"]},
        )
        recipients = {r.chat_id: r for r in rows}
        assert sorted(recipients) == sorted(audience)
        assert recipients[7001].kind == "broadcast"
        assert recipients[7001].payload == {"text": "<b>News</b>", "parse_mode": "HTML"}

    async def test_audience_by_status_and_role(
        self, api: httpx.AsyncClient, audience: list[int]
    ) -> None:
        body = {"text": "Welcome aboard", "audience": {"status": "onboarding"}}
        assert (await broadcast(api, body))["total"] == 1
        body = {"text": "Admins only", "audience": {"role": "admin"}}
        assert (await broadcast(api, body))["total"] == 1
        body = {"text": "Nobody", "audience": {"role": "admin", "status": "churned"}}
        assert (await broadcast(api, body))["total"] == 0

    async def test_needs_an_admin(self, api: httpx.AsyncClient, audience: list[int]) -> None:
        body = {"text": "Hi"}
        assert (await api.post(BROADCASTS, json=body)).status_code == 401
        as_user = {ACTING_USER_HEADER: "7001"}
        assert (await api.post(BROADCASTS, json=body, headers=as_user)).status_code == 403

    @pytest.mark.parametrize(
        "body",
        [{}, {"text": ""}, {"text": "x" * 4097}, {"text": "hi", "audience": {"role": "king"}},
         {"text": "hi", "audience": {"status": "gone"}}, {"text": "hi", "audience": "all"},
         {"text": "hi", "parse_mode": "BBCode"}, {"text": "hi", "extra": 1}],
    )  # fmt: skip
    async def test_bad_input_is_422(
        self, api: httpx.AsyncClient, audience: list[int], body: dict
    ) -> None:
        response = await api.post(BROADCASTS, json=body, headers=AS_ADMIN)
        assert response.status_code == 422


class TestProgress:
    async def test_counts_by_status(self, api: httpx.AsyncClient, audience: list[int]) -> None:
        created = await broadcast(api, {"text": "News"})
        claimed = await claim(api)
        await report(
            api,
            {"id": claimed[0]["id"], "outcome": "sent"},
            {"id": claimed[1]["id"], "outcome": "rejected", "error": "chat not found"},
        )
        response = await api.get(f"{BROADCASTS}/{created['id']}", headers=AS_ADMIN)
        assert response.status_code == 200
        progress = response.json()["progress"]
        assert progress == {"pending": 0, "leased": 1, "sent": 1, "dead": 1, "skipped": 0}
        assert response.json()["done"] is False
        await report(api, {"id": claimed[2]["id"], "outcome": "sent"})
        response = await api.get(f"{BROADCASTS}/{created['id']}", headers=AS_ADMIN)
        assert response.json()["done"] is True

    async def test_unknown_broadcast_is_404(
        self, api: httpx.AsyncClient, audience: list[int]
    ) -> None:
        response = await api.get(f"{BROADCASTS}/999999", headers=AS_ADMIN)
        assert response.status_code == 404

    @pytest.mark.parametrize("broadcast_id", ["abc", "0", "-1", str(2**64)])
    async def test_bad_ids_are_422(
        self, api: httpx.AsyncClient, audience: list[int], broadcast_id: str
    ) -> None:
        response = await api.get(f"{BROADCASTS}/{broadcast_id}", headers=AS_ADMIN)
        assert response.status_code == 422

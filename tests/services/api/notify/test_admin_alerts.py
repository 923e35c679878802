"""POST /api/v1/notifications/admins: another service's alert (the user-bot logged out)
reaches every admin who can be reached, once."""

from __future__ import annotations

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.notify.models import Outbox
from tests.services.api.conftest import ADMIN_ID
from tests.services.api.notify.factories import NOTIFICATIONS

ALERTS = f"{NOTIFICATIONS}/admins"
SECOND_ADMIN = 900_002


def alert(key: str = "userbot.logged_out:s:AuthKeyUnregisteredError") -> dict[str, object]:
    return {"dedup_key": key, "kind": "userbot.logged_out", "payload": {"text": "logged out"}}


async def test_every_reachable_admin_is_told_once(
    api: httpx.AsyncClient, session: AsyncSession
) -> None:
    await session.execute(text("DELETE FROM outbox"))
    for telegram_id in (ADMIN_ID, SECOND_ADMIN, 7101):
        assert (await api.post("/api/v1/users", json={"telegram_id": telegram_id})).is_success
    await session.execute(
        text("UPDATE users SET role = 'admin' WHERE telegram_id = :id"), {"id": SECOND_ADMIN}
    )
    await api.put(f"{NOTIFICATIONS}/chats/{SECOND_ADMIN}/blocked", json={"blocked": True})
    first = await api.post(ALERTS, json=alert())
    assert first.status_code == 200, first.text
    assert first.json() == {"admins": 1, "queued": 1}
    again = await api.post(ALERTS, json=alert())
    assert again.json() == {"admins": 1, "queued": 0}
    rows = (await session.scalars(select(Outbox).where(Outbox.kind == "userbot.logged_out"))).all()
    assert [(r.chat_id, r.payload["text"]) for r in rows] == [(ADMIN_ID, "logged out")]
    assert rows[0].dedup_key == f"userbot.logged_out:s:AuthKeyUnregisteredError:{ADMIN_ID}"


async def test_refusals(api: httpx.AsyncClient) -> None:
    assert (await api.post(ALERTS, json={**alert(), "kind": "Bad Kind"})).status_code == 422
    assert (await api.post(ALERTS, json={**alert(), "dedup_key": "a\x00b"})).status_code == 422
    assert (await api.post(ALERTS, json={**alert(), "payload": {"text": " "}})).status_code == 422
    assert (await api.post(ALERTS, json={**alert(), "extra": 1})).status_code == 422
    unauthorized = await api.post(ALERTS, json=alert(), headers={"X-Service-Token": "nope"})
    assert unauthorized.status_code == 401

"""Factory functions for notify tests: queue, claim and report through the api."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

NOTIFICATIONS = "/api/v1/notifications"
_keys = itertools.count(1)


def notification(chat_id: int, key: str | None = None, **payload: Any) -> dict[str, Any]:
    return {
        "dedup_key": key or f"test:{next(_keys)}",
        "chat_id": chat_id,
        "kind": "test.message",
        "payload": {"text": f"Hello, chat {chat_id}", **payload},
    }


async def queue(api: httpx.AsyncClient, chat_id: int, key: str | None = None) -> dict[str, Any]:
    response = await api.post(NOTIFICATIONS, json=notification(chat_id, key))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def claim(api: httpx.AsyncClient, limit: int = 100, lease_s: float = 60) -> list[dict]:
    response = await api.post(f"{NOTIFICATIONS}/claims", json={"limit": limit, "lease_s": lease_s})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def report(api: httpx.AsyncClient, *reports: dict[str, Any]) -> dict[str, int]:
    response = await api.post(f"{NOTIFICATIONS}/reports", json={"reports": list(reports)})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def row(session: AsyncSession, notification_id: int) -> dict[str, Any]:
    """The outbox row as stored, with its times relative to now() in seconds."""
    result = await session.execute(
        text(
            "SELECT *, extract(epoch FROM next_attempt_at - now()) AS due_in_s,"
            " extract(epoch FROM lease_until - now()) AS lease_left_s"
            " FROM outbox WHERE id = :id"
        ),
        {"id": notification_id},
    )
    return dict(result.mappings().one())


async def expire_leases(session: AsyncSession) -> None:
    """As if every lease ran out a second ago."""
    await session.execute(
        text(
            "UPDATE outbox SET lease_until = now() - interval '1 second',"
            " next_attempt_at = now() - interval '1 second' WHERE status = 'leased'"
        )
    )

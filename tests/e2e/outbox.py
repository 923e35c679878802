"""Helpers for end-to-end notification tests: queue through api, watch the chats and rows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.common.auth import SERVICE_TOKEN_HEADER
from tests.support.stack import SERVICE_TOKEN, Stack

NOTIFICATIONS = "/api/v1/notifications"


def api_client(stack: Stack) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=stack.url("api"), headers={SERVICE_TOKEN_HEADER: SERVICE_TOKEN}, timeout=10
    )


async def notify(
    api: httpx.AsyncClient, chat_id: int, key: str, text_: str | None = None, **payload: Any
) -> dict[str, Any]:
    body = {
        "dedup_key": key,
        "chat_id": chat_id,
        "kind": "e2e.test",
        "payload": {"text": text_ or key, **payload},
    }
    response = await api.post(NOTIFICATIONS, json=body)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def create_chats(stack: Stack, ids: list[int], bot_id: int | None = None) -> None:
    params = {"bot_id": str(bot_id)} if bot_id else {}
    async with httpx.AsyncClient(base_url=stack.url("sandbox"), params=params) as sandbox:
        response = await sandbox.post("/sandbox/users", json={"ids": ids})
        response.raise_for_status()


async def chat_texts(sandbox: httpx.AsyncClient, chat_id: int) -> list[str]:
    response = await sandbox.get(f"/sandbox/chats/{chat_id}/messages")
    if response.status_code == 404:
        return []
    response.raise_for_status()
    return [m["text"] for m in response.json() if m["from"] == "bot"]


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout_s: float = 15.0, every_s: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(every_s)


async def outbox_rows(db: AsyncEngine, key_prefix: str) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        result = await conn.execute(
            text("SELECT * FROM outbox WHERE dedup_key LIKE :prefix ORDER BY id"),
            {"prefix": f"{key_prefix}%"},
        )
        return [dict(row) for row in result.mappings()]


async def statuses(db: AsyncEngine, key_prefix: str) -> list[str]:
    return [row["status"] for row in await outbox_rows(db, key_prefix)]


async def sandbox_stats(stack: Stack, bot_id: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.url("sandbox")) as sandbox:
        response = await sandbox.get("/sandbox/stats")
    return dict(response.json()["bots"].get(str(bot_id), {}))

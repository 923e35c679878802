"""Queueing notifications: POST /api/v1/notifications and the in-transaction enqueue."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.notify.service import NotifyService
from concierge.contracts.notify import MessagePayload, NotificationCreate
from concierge.domain.notify.models import Outbox
from tests.services.api.notify.factories import NOTIFICATIONS, notification, queue


async def count(session: AsyncSession, chat_id: int) -> int:
    query = select(func.count()).select_from(Outbox).where(Outbox.chat_id == chat_id)
    return int(await session.scalar(query) or 0)


class TestCreate:
    async def test_queues_a_pending_notification(self, api: httpx.AsyncClient) -> None:
        body = notification(5001, key="order:1:paid", parse_mode="HTML")
        response = await api.post(NOTIFICATIONS, json=body)
        assert response.status_code == 201
        created = response.json()
        assert created["status"] == "pending"
        assert created["attempts"] == 0
        assert created["payload"] == {
            "text": "Hello, chat 5001",
            "parse_mode": "HTML",
            "reply_markup": None,
            "edit_message_id": None,
        }

    async def test_a_repeated_key_returns_the_first_one(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        first = await queue(api, 5002, key="order:2:paid")
        again = await api.post(NOTIFICATIONS, json=notification(5002, key="order:2:paid"))
        assert again.status_code == 200
        assert again.json()["id"] == first["id"]
        assert await count(session, 5002) == 1

    async def test_keeps_an_inline_keyboard(self, api: httpx.AsyncClient) -> None:
        keyboard = {"inline_keyboard": [[{"text": "Open", "callback_data": "menu:home"}]]}
        response = await api.post(NOTIFICATIONS, json=notification(5003, reply_markup=keyboard))
        assert response.status_code == 201
        assert response.json()["payload"]["reply_markup"]["inline_keyboard"][0][0] == {
            "text": "Open",
            "callback_data": "menu:home",
            "url": None,
            "web_app": None,
        }

    async def test_a_group_chat_is_fine(self, api: httpx.AsyncClient) -> None:
        assert (await queue(api, -1001234567890))["chat_id"] == -1001234567890

    async def test_needs_the_service_token(self, api: httpx.AsyncClient) -> None:
        response = await api.post(
            NOTIFICATIONS, json=notification(5004), headers={"X-Service-Token": "wrong"}
        )
        assert response.status_code == 401


class TestEnqueueInATransaction:
    """How other desks notify: in their own session, next to the change behind it."""

    async def test_writes_once_per_key(self, session: AsyncSession) -> None:
        notify = NotifyService.for_session(session)
        message = NotificationCreate(
            dedup_key="listing:7:approved",
            chat_id=5010,
            kind="market.listing_approved",
            payload=MessagePayload(text="Your listing is live"),
        )
        assert await notify.enqueue(message) is not None
        assert await notify.enqueue(message) is None
        assert await count(session, 5010) == 1

    async def test_rolls_back_with_the_change(self, session: AsyncSession) -> None:
        notify = NotifyService.for_session(session)
        message = NotificationCreate(
            dedup_key="listing:8:approved",
            chat_id=5011,
            kind="market.listing_approved",
            payload=MessagePayload(text="Your listing is live"),
        )
        savepoint = await session.begin_nested()
        await notify.enqueue(message)
        await savepoint.rollback()
        assert await count(session, 5011) == 0


class TestBadInput:
    @pytest.mark.parametrize(
        "change",
        [
            {"dedup_key": ""},
            {"dedup_key": "k" * 257},
            {"dedup_key": None},
            {"chat_id": 0},
            {"chat_id": "abc"},
            {"chat_id": 2**60},
            {"chat_id": 1.5},
            {"kind": ""},
            {"kind": "Has Spaces"},
            {"kind": "k" * 65},
            {"payload": {}},
            {"payload": {"text": ""}},
            {"payload": {"text": "   "}},
            {"payload": {"text": "x" * 4097}},
            {"payload": {"text": "<b>x</b>" * 3000, "parse_mode": "HTML"}},
            {"payload": {"text": "hi", "parse_mode": "BBCode"}},
            {"payload": {"text": "hi", "photo": "x"}},
            {"payload": {"text": "hi", "reply_markup": {"keyboard": [["a"]]}}},
            {"payload": {"text": "hi", "reply_markup": {"inline_keyboard": []}}},
            {"payload": {"text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "a"}]]}}},
            {"payload": {"text": "hi", "reply_markup": {"inline_keyboard": [
                [{"text": "a", "callback_data": "я" * 33}]]}}},
            {"payload": {"text": "hi", "reply_markup": {"inline_keyboard": [
                [{"text": "a", "url": "javascript:alert(1)"}]]}}},
            {"payload": "text"},
            {"status": "sent"},
            {"attempts": 3},
        ],
    )  # fmt: skip
    async def test_is_refused_with_422(self, api: httpx.AsyncClient, change: dict) -> None:
        body = {**notification(5020), **change}
        body = {key: value for key, value in body.items() if value is not None}
        response = await api.post(NOTIFICATIONS, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["status_code"] == 422

    async def test_plain_text_of_4096_characters_is_fine(self, api: httpx.AsyncClient) -> None:
        response = await api.post(NOTIFICATIONS, json=notification(5021, text="я" * 4096))
        assert response.status_code == 201

    async def test_not_json(self, api: httpx.AsyncClient) -> None:
        response = await api.post(
            NOTIFICATIONS, content=b"{", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422

    @pytest.mark.parametrize(
        "where",
        ["text", "dedup_key", "button", "callback_data", "url"],
    )
    async def test_a_nul_anywhere_stored_is_422_at_its_field(
        self, api: httpx.AsyncClient, where: str
    ) -> None:
        """Postgres cannot store NUL (in text or JSONB): refused at the field, never a 500."""
        body = notification(5022)
        button: dict[str, str] = {"text": "Open", "callback_data": "open"}
        if where == "text":
            body["payload"]["text"] = "a\u0000b"
        elif where == "dedup_key":
            body["dedup_key"] = "key\u0000"
        elif where == "button":
            button["text"] = "Op\u0000en"
        elif where == "callback_data":
            button["callback_data"] = "op\u0000en"
        else:
            button = {"text": "Open", "url": "https://example.org/\u0000"}
        body["payload"]["reply_markup"] = {"inline_keyboard": [[button]]}
        response = await api.post(NOTIFICATIONS, json=body)
        assert response.status_code == 422, response.text
        assert "control characters" in response.text

"""The messenger webhook: the per-account token, durable intake, de-duplication, skipped
messages, malformed bodies, a flood, and the forwarder storing guests' messages in the api
(and enqueueing ``rentals.guest_message`` once per message)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.avito.webhook import account_of, webhook_token
from concierge.contracts.jobs import RENTALS_GUEST_MESSAGE
from concierge.domain.rentals.models import RentalsChat, RentalsMessage
from tests.services.api.market.conftest import WebClient
from tests.services.avito.conftest import (
    AVITO_USER,
    WEBHOOK_SECRET,
    AvitoStack,
)
from tests.services.avito.test_gateway import connect

STREAM = "avito:events"


def event(account_user: int, author: int, n: int, text: str = "Есть парковка?") -> dict[str, Any]:
    return {
        "id": f"ev-{n}",
        "version": "v3.0.0",
        "timestamp": 1_760_000_000 + n,
        "payload": {
            "type": "message",
            "value": {
                "id": f"msg-{n}",
                "chat_id": "u2i-chat-1",
                "chat_type": "u2i",
                "user_id": account_user,
                "author_id": author,
                "item_id": 111,
                "created": 1_760_000_000 + n,
                "type": "text",
                "content": {"text": text},
            },
        },
    }


async def messages_stored(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(RentalsMessage)) or 0)


async def wait_stored(
    avito: AvitoStack, session: AsyncSession, count: int, timeout: float = 20.0
) -> None:
    """Wait until the forwarder has handed every event to the api (it deletes each entry
    after the api stored it), then count. The test reads the database only then: the api
    works in the test's own session."""
    deadline = time.monotonic() + timeout
    while await avito.redis.xlen(STREAM) > 0:
        assert time.monotonic() < deadline, "the forwarder did not drain the event stream"
        await asyncio.sleep(0.05)
    assert await messages_stored(session) == count


class TestToken:
    def test_a_token_names_its_account_and_nothing_else(self) -> None:
        token = webhook_token(WEBHOOK_SECRET, 42)
        assert account_of(WEBHOOK_SECRET, token) == 42
        assert account_of("another-secret", token) is None
        assert account_of(WEBHOOK_SECRET, token.replace("42.", "43.")) is None
        for forged in ["", "42", "42.", "x.y", "-1.abc", "٤٢.abc", "9" * 40 + ".a", "42.é"]:
            assert account_of(WEBHOOK_SECRET, forged) is None


class TestWebhook:
    async def test_guest_message_reaches_the_api_once(
        self, avito: AvitoStack, web_client: WebClient, session: AsyncSession
    ) -> None:
        await avito.landlord_account()
        item = await avito.item(AVITO_USER, "Студия")
        account_id = await connect(avito, web_client)
        landlord = await web_client(810_001)
        await landlord.post(f"/api/v1/rentals/accounts/{account_id}/sync")  # subscribes
        wrote = await avito.sandbox.post(
            "/sandbox/avito/guests/555/messages",
            json={"item_id": item, "text": "Здравствуйте! Во сколько заселение?"},
        )
        assert wrote.json()["delivered"] == 200
        await wait_stored(avito, session, 1)
        message = (await session.scalars(select(RentalsMessage))).one()
        chat = await session.get(RentalsChat, message.chat_id)
        assert chat is not None
        assert chat.account_id == account_id
        assert (chat.avito_item_id, chat.guest_avito_id) == (item, 555)
        assert message.text == "Здравствуйте! Во сколько заселение?"
        assert await guest_jobs(avito) == [{"message_id": message.id}]

        # the same event delivered again: 200, stored once
        hook = avito.sandbox_app.state.avito.webhooks[AVITO_USER]
        again = avito.sandbox_app.state.avito.deliveries[-1]["event"]
        async with httpx.AsyncClient() as http:
            assert (await http.post(hook, json=again)).status_code == 200
        await asyncio.sleep(0.5)
        assert await messages_stored(session) == 1

    async def test_own_and_system_messages_are_skipped_and_bad_bodies_are_400(
        self, avito: AvitoStack, web_client: WebClient
    ) -> None:
        await avito.landlord_account()
        account_id = await connect(avito, web_client)
        hook = f"{avito.gateway_url}/avito/webhook/{webhook_token(WEBHOOK_SECRET, account_id)}"
        before = await avito.redis.xlen(STREAM)
        own = event(AVITO_USER, AVITO_USER, 1)
        system = event(AVITO_USER, 0, 2)
        system["payload"]["value"]["type"] = "system"
        not_message = {"id": "ev-3", "payload": {"type": "chat_read", "value": {}}}
        async with httpx.AsyncClient() as http:
            for body in (own, system, not_message):
                assert (await http.post(hook, json=body)).status_code == 200
            for raw in [b"", b"{", b"[]", b"null", b'"x"', b'{"id": "e"}',
                        orjson.dumps({"id": "e", "payload": {"type": "message", "value": {}}}),
                        orjson.dumps({**event(AVITO_USER, 5, 4), "payload": "x"}),
                        orjson.dumps(event(AVITO_USER, "five", 5))]:  # type: ignore[arg-type]  # fmt: skip
                response = await http.post(hook, content=raw)
                assert response.status_code == 400, raw
            wrong = f"{avito.gateway_url}/avito/webhook/{account_id}.{'0' * 40}"
            assert (await http.post(wrong, json=event(AVITO_USER, 5, 6))).status_code == 404
        assert await avito.redis.xlen(STREAM) == before  # nothing stored

    @pytest.mark.parametrize("text", ["🏠" * 2000, "Сколько стоит? " * 700, "a\x00b\x07c", "   "])
    async def test_huge_emoji_and_control_characters_are_stored(
        self, avito: AvitoStack, web_client: WebClient, session: AsyncSession, text: str
    ) -> None:
        await avito.landlord_account()
        account_id = await connect(avito, web_client)
        hook = f"{avito.gateway_url}/avito/webhook/{webhook_token(WEBHOOK_SECRET, account_id)}"
        async with httpx.AsyncClient() as http:
            response = await http.post(hook, json=event(AVITO_USER, 9, 7, text))
        assert response.status_code == 200
        await wait_stored(avito, session, 1)
        stored = (await session.scalars(select(RentalsMessage))).one()
        assert len(stored.text) <= 10_000
        assert "\x00" not in stored.text

    async def test_a_flood_of_1000_events_in_a_second_is_all_stored(
        self, avito: AvitoStack, web_client: WebClient, session: AsyncSession
    ) -> None:
        await avito.landlord_account()
        account_id = await connect(avito, web_client)
        hook = f"{avito.gateway_url}/avito/webhook/{webhook_token(WEBHOOK_SECRET, account_id)}"
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(limits=limits, timeout=30) as http:
            started = time.monotonic()
            answers = await asyncio.gather(
                *(http.post(hook, json=event(AVITO_USER, 7, n)) for n in range(1000))
            )
            time.monotonic() - started
            assert {a.status_code for a in answers} == {200}
            health = await http.get(f"{avito.gateway_url}/health")
            assert health.status_code == 200
        await wait_stored(avito, session, 1000, timeout=60)


async def guest_jobs(avito: AvitoStack, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The payloads of the rentals.guest_message jobs the api enqueued (after its commit,
    so they may come a moment after the forwarder's call returned)."""
    deadline = time.monotonic() + timeout
    while True:
        entries = await avito.redis.xrange("jobs")
        found = [
            orjson.loads(fields["payload"])
            for _, fields in entries
            if fields.get("type") == RENTALS_GUEST_MESSAGE.name
        ]
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)

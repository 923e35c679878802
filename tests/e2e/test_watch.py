"""The watch desk with real processes: the worker's scheduler fires ``watch.poll``, the
worker polls the sandbox's ZMS over HTTP, the api diffs the poll and queues the
message, and the bot's relay brings it to the person's chat in the sandbox's Telegram:
once, with the official booking link."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from redis.asyncio import Redis

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.contracts.jobs import WATCH_CATALOGS
from concierge.streams import JobQueue
from tests.support.sandbox import Message, SandboxUser
from tests.support.stack import ADMIN_ID, SERVICE_TOKEN, Stack

pytestmark = pytest.mark.e2e

OFFICE, SERVICE = "102522", "1063453"  # the sandbox's ZMS speaks Munich's ids
BOOKING = "https://stadt.muenchen.de/buergerservice/terminvereinbarung.html#/services/{service}/locations/{office}"


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[ServiceClient]:
    async with ServiceClient(stack.url("api"), SERVICE_TOKEN, timeout=10) as http:
        yield http


def _as(telegram_id: int) -> dict[str, str]:
    return {ACTING_USER_HEADER: str(telegram_id)}


def _slot_messages(messages: list[Message], when: str) -> list[Message]:
    return [m for m in messages if "slot opened" in m["text"] and when in m["text"]]


async def test_a_slot_opened_in_the_sandbox_reaches_the_chat_once(
    stack: Stack, api: ServiceClient, user: SandboxUser, e2e_redis: Redis
) -> None:
    slug = f"e2e{uuid.uuid4().hex[:8]}"
    await user.send("/start")  # the person signs up with the bot
    await user.wait_for_reply()
    await api.request("POST", "/api/v1/users", json={"telegram_id": ADMIN_ID, "first_name": "A"})
    provider = {
        "slug": slug,
        "kind": "zms",
        "name": "München (sandbox)",
        "base_url": f"{stack.url('sandbox')}/zms/api/backend/",
        "booking_url": BOOKING,
        "floor_interval_s": 1,
    }
    await api.request("POST", "/api/v1/admin/watch/providers", json=provider, headers=_as(ADMIN_ID))
    await JobQueue(e2e_redis, "jobs").enqueue(WATCH_CATALOGS.name)  # new providers: at once
    offices = f"/api/v1/watch/providers/{slug}/offices"
    for _ in range(150):
        found = (
            await api.request("GET", offices, params={"q": OFFICE}, headers=_as(user.id))
        ).json()
        if found:
            break
        await asyncio.sleep(0.2)
    assert found, "the worker never read the sandbox's catalog"
    today = date.today()
    watch = {
        "provider": slug,
        "office": OFFICE,
        "service": SERVICE,
        "date_from": today.isoformat(),
        "date_to": (today + timedelta(days=30)).isoformat(),
    }
    await api.request("POST", "/api/v1/watches", json=watch, headers=_as(user.id))

    # Nothing open at first; then a slot opens in the sandbox.
    day = today + timedelta(days=6)
    slot = datetime.combine(day, time(8, 40), ZoneInfo("Europe/Berlin"))
    async with httpx.AsyncClient(base_url=stack.url("sandbox"), timeout=10) as sandbox:
        body = {"office": OFFICE, "service": SERVICE, "times": [slot.isoformat()]}
        (await sandbox.post("/sandbox/appointments/slots", json=body)).raise_for_status()
        messages = await user.wait_for(lambda ms: bool(_slot_messages(ms, "08:40")), 60)
        [message] = _slot_messages(messages, "08:40")
        [[button]] = message["reply_markup"]["inline_keyboard"]
        assert button["url"] == BOOKING.format(office=OFFICE, service=SERVICE)
        # More polls of the same slot (the floor is 1 s here) tell nobody again.
        # (The scheduler looks for due targets every 5 s, so the next poll may take a while
        # on a loaded machine: wait for it rather than a fixed time.)
        polled = (await sandbox.get("/sandbox/appointments/polls")).json()
        for _ in range(120):
            await asyncio.sleep(0.5)
            if (await sandbox.get("/sandbox/appointments/polls")).json() != polled:
                break
        else:
            raise AssertionError("the watcher never polled the slot again")
        assert len(_slot_messages(await user.bot_messages(), "08:40")) == 1
        (await sandbox.post("/sandbox/appointments/reset")).raise_for_status()

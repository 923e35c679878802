"""The rentals desk with real processes: a landlord connects an Avito account in the chat
(the sandbox's Avito stand-in behind the gateway), closes dates with the picker, the
preview and Confirm (the emulator's calendar changes only then); a booking appears on
the emulator, the worker's bookings poll finds it and the bot's relay tells the landlord
once (the item's first poll, before the booking, is a silent baseline). The guest
assistant: a guest asks about parking and gets the house rule, says when they arrive and
the landlord is told, asks for the host and the landlord resumes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from concierge.common.http_client import ServiceClient
from concierge.contracts.jobs import RENTALS_BOOKINGS_POLL
from concierge.streams import JobQueue
from tests.support.sandbox import Message, SandboxUser
from tests.support.stack import SERVICE_TOKEN, Stack

pytestmark = pytest.mark.e2e


def _buttons(message: Message) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {b["text"]: b.get("callback_data", "") for row in rows for b in row}


async def _last_with(user: SandboxUser, needle: str, timeout_s: float = 30.0) -> Message:
    messages = await user.wait_for(lambda ms: any(needle in m["text"] for m in ms), timeout_s)
    return [m for m in messages if needle in m["text"]][-1]


async def _press(user: SandboxUser, message: Message, label: str, expect: str) -> Message:
    [data] = [d for text, d in _buttons(message).items() if text == label]
    await asyncio.sleep(1.1)  # Telegram's pace for edits of one chat
    await user.press(message["message_id"], data)

    def edited(messages: list[Message]) -> bool:
        return any(m["message_id"] == message["message_id"] and expect in m["text"]
                   for m in messages)  # fmt: skip

    messages = await user.wait_for(edited, 30)
    return next(m for m in messages if m["message_id"] == message["message_id"])


def _day(message: Message, day: Any) -> str:
    [label] = [t for t in _buttons(message) if t[:-1] == str(day.day)]
    return label


async def test_a_landlord_connects_closes_dates_and_hears_of_a_booking(
    stack: Stack, user: SandboxUser, e2e_redis: Redis
) -> None:
    avito_user = 4_000_000 + uuid.uuid4().int % 1_000_000
    keys = {"client_id": f"e2e-{uuid.uuid4().hex[:8]}", "client_secret": uuid.uuid4().hex}
    async with httpx.AsyncClient(base_url=stack.url("sandbox"), timeout=10) as sandbox:
        account = {"user_id": avito_user, "name": "E2E", **keys}
        (await sandbox.post("/sandbox/avito/accounts", json=account)).raise_for_status()
        item = (
            await sandbox.post(
                "/sandbox/avito/items", json={"user_id": avito_user, "title": "Лофт"}
            )
        ).json()["id"]

        await user.send("/start")
        await user.wait_for_reply()
        await asyncio.sleep(1.1)
        await user.send("/avito_connect")
        await _last_with(user, "client_id")
        await asyncio.sleep(1.1)
        await user.send(keys["client_id"])
        await _last_with(user, "client_secret")
        await asyncio.sleep(1.1)
        await user.send(keys["client_secret"])
        await _last_with(user, "✅", 60)
        history = await user.history()
        assert all(keys["client_secret"] not in (m.get("text") or "") for m in history)

        await asyncio.sleep(1.1)
        await user.send("/close_dates")
        menu = await _last_with(user, "?")  # "Which apartment?"
        picker = await _press(user, menu, "Лофт", "202")
        first = datetime.now(UTC).date() + timedelta(days=2)
        if (first + timedelta(days=2)).month != first.month:
            picker = await _press(user, picker, "▶", "202")
            first = (first + timedelta(days=3)).replace(day=1)
        last = first + timedelta(days=2)
        picker = await _press(user, picker, _day(picker, first), first.isoformat())
        preview = await _press(user, picker, _day(picker, last), "3")
        confirm = next(t for t in _buttons(preview) if t.startswith("✅"))
        params = {
            "date_start": first.isoformat(),
            "date_end": (last + timedelta(days=1)).isoformat(),
        }
        calendar = f"/sandbox/avito/items/{item}/calendar"
        assert set((await sandbox.get(calendar, params=params)).json().values()) == {"free"}
        await _press(user, preview, confirm, "✅")  # "✅ Done: closed 3, opened 0."
        assert set((await sandbox.get(calendar, params=params)).json().values()) == {"closed"}

        # the item's first poll is a silent baseline (what Avito shows already is no news)
        async with ServiceClient(stack.url("api"), SERVICE_TOKEN, timeout=30) as api:
            baseline = await api.request("POST", "/api/v1/internal/rentals/bookings/poll")
            assert baseline.json()["failed"] == 0

        check_in = last + timedelta(days=10)
        check_out = check_in + timedelta(days=2)
        booking = {"item_id": item, "check_in": check_in.isoformat(),
                   "check_out": check_out.isoformat(), "name": "Пётр"}  # fmt: skip
        (await sandbox.post("/sandbox/avito/bookings", json=booking)).raise_for_status()
        queue = JobQueue(e2e_redis, "jobs")
        await queue.enqueue(RENTALS_BOOKINGS_POLL.name)
        told = await _last_with(user, "Пётр", 60)
        assert check_in.isoformat() in told["text"]
        await queue.enqueue(RENTALS_BOOKINGS_POLL.name)  # polled again: told once
        await asyncio.sleep(5)
        assert len([m for m in await user.bot_messages() if "Пётр" in m["text"]]) == 1


async def _guest_chat(
    sandbox: httpx.AsyncClient, chat: str, landlord: int, count: int
) -> list[str]:
    """Wait for the landlord's side of a guest's chat to hold ``count`` messages."""
    for _ in range(300):
        messages = (await sandbox.get(f"/sandbox/avito/chats/{chat}")).json()["messages"]
        said = [m["content"]["text"] for m in messages if m["author_id"] == landlord]
        if len(said) >= count:
            return said
        await asyncio.sleep(0.1)
    raise AssertionError(f"no reply in the guest's chat {chat}")


async def test_a_guest_asks_about_parking_says_when_they_arrive_and_asks_for_the_host(
    stack: Stack, user: SandboxUser
) -> None:
    """The guest assistant with real processes: the rules and the mode set in the chat; a
    guest's question answered from the house rules in the emulator's chat (webhook →
    gateway → api → the worker's job → api → gateway); an arrival time told to the
    landlord; a hand-off with Resume."""
    avito_user = 4_000_000 + uuid.uuid4().int % 1_000_000
    keys = {"client_id": f"e2e-{uuid.uuid4().hex[:8]}", "client_secret": uuid.uuid4().hex}
    async with httpx.AsyncClient(base_url=stack.url("sandbox"), timeout=10) as sandbox:
        account = {"user_id": avito_user, "name": "E2E", **keys}
        (await sandbox.post("/sandbox/avito/accounts", json=account)).raise_for_status()
        ad = {"user_id": avito_user, "title": "Мансарда"}
        item = (await sandbox.post("/sandbox/avito/items", json=ad)).json()["id"]

        await user.send("/start")
        await user.wait_for_reply()
        for text, expect in [("/avito_connect", "client_id"), (keys["client_id"], "client_secret"),
                             (keys["client_secret"], "✅")]:  # fmt: skip
            await asyncio.sleep(1.1)
            await user.send(text)
            await _last_with(user, expect, 60)
        await asyncio.sleep(1.1)
        await user.send("/house_rules")
        menu = await _last_with(user, "?")
        await _press(user, menu, "Мансарда", "house rules")
        await asyncio.sleep(1.1)
        await user.send("Парковка бесплатная во дворе.\nКурить нельзя.")
        await _last_with(user, "House rules saved")
        await asyncio.sleep(1.1)
        await user.send("/guest_mode")
        menu = await _last_with(user, "?")
        modes = await _press(user, menu, "Мансарда", "How should")
        await _press(user, modes, "Answer by itself", "Mode:")

        wrote = await sandbox.post(f"/sandbox/avito/guests/{avito_user + 1}/messages",
                                   json={"item_id": item, "text": "Есть ли парковка?"})  # fmt: skip
        chat = wrote.json()["chat_id"]
        assert await _guest_chat(sandbox, chat, avito_user, 1) == ["Парковка бесплатная во дворе."]

        guest = f"/sandbox/avito/guests/{avito_user + 1}/messages"
        await sandbox.post(guest, json={"chat_id": chat, "text": "Приедем завтра около 15:00"})
        told = await _last_with(user, "🕒", 60)
        assert "15:00" in told["text"]

        await sandbox.post(guest, json={"chat_id": chat, "text": "Позовите хозяина"})
        handoff = await _last_with(user, "🙋", 60)
        await _press(user, handoff, "Resume the assistant", "again")

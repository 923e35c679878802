"""/watch in a chat: search an office, pick it, its service, how far ahead and which
hours, and the watch exists in the api; /watches pauses, resumes and removes it. The
real Application against the sandbox's Bot API and the real api (served on a port, on
the test's rolled-back session)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from concierge.bot.notify.sending import deliver
from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.contracts.notify import ClaimedNotification
from concierge.domain.watch.models import Watch
from tests.services.api.conftest import SERVICE_TOKEN
from tests.services.api.market.conftest import WebClient
from tests.services.api.watch.conftest import (  # noqa: F401 (fixtures)
    admin,
    market_app,
    provider,
    service,
    web_client,
)
from tests.services.sandbox.conftest import serve


@pytest.fixture
async def api_url(market_app: FastAPI) -> AsyncIterator[str]:  # noqa: F811
    running = await serve(market_app, lifespan="off")
    yield running.url
    await running.stop()


async def _signed_up(start_chat: Any, api_url: str, sign_in: WebClient) -> tuple[Any, Any]:
    """A chat whose bot talks to the api, and the same person signed in to the api."""
    chat = await start_chat(api_url=api_url)
    chat.deps.market.http._http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
    return chat, await sign_in(chat.user_id)


def _watch_body(office: str = "102522", days: int = 30) -> dict[str, str]:
    return {
        "provider": "muc",
        "office": office,
        "service": "1063453",
        "date_from": date.today().isoformat(),
        "date_to": (date.today() + timedelta(days=days)).isoformat(),
    }


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {button["text"]: button.get("callback_data", "") for row in rows for button in row}


async def _press(chat: Any, message: dict[str, Any], label: str) -> dict[str, Any]:
    await asyncio.sleep(1.1)  # the sandbox, like Telegram, limits edits of one chat
    buttons = _buttons(message)
    [data] = [data for text, data in buttons.items() if label in text]
    await chat.press(message["message_id"], data)
    await chat.handle(await chat.updates())
    messages = await chat.bot_messages()
    [edited] = [m for m in messages if m["message_id"] == message["message_id"]]
    return edited


async def test_a_person_sets_up_a_watch_in_the_chat(
    provider: str,  # noqa: F811
    web_client: WebClient,  # noqa: F811
    start_chat: Any,
    api_url: str,
) -> None:
    chat, person = await _signed_up(start_chat, api_url, web_client)

    offices = await chat.send("/watch orleans")
    assert "never book" in offices["text"]
    assert list(_buttons(offices)) == ["Bürgerbüro Orleansplatz"]
    services = await _press(chat, offices, "Orleansplatz")
    assert set(_buttons(services)) == {"Reisepass", "Personalausweis"}
    ranges = await _press(chat, services, "Reisepass")
    hours = await _press(chat, ranges, "30 days")
    done = await _press(chat, hours, "mornings")
    assert "Watching" in done["text"]

    [watch] = (await person.get("/api/v1/watches")).json()
    assert watch["office"]["id"] == "102522"
    assert watch["service"]["id"] == "1063453"
    assert watch["weekdays"] == [1, 2, 3, 4, 5]
    assert watch["time_from"] == "07:00:00"

    listed = await chat.send("/watches")
    assert "Orleansplatz" in listed["text"]
    paused = await _press(chat, listed, "Pause 1")
    assert "(paused)" in paused["text"]
    assert (await person.get("/api/v1/watches")).json()[0]["paused"] is True
    resumed = await _press(chat, paused, "Resume 1")
    assert "(paused)" not in resumed["text"]
    removed = await _press(chat, resumed, "Remove 1")
    assert "/watch" in removed["text"]
    assert (await person.get("/api/v1/watches")).json() == []


async def test_an_unknown_office_search_says_so(
    provider: str,  # noqa: F811
    web_client: WebClient,  # noqa: F811
    start_chat: Any,
    api_url: str,
) -> None:
    chat = await start_chat(api_url=api_url)
    chat.deps.market.http._http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
    await web_client(chat.user_id)
    reply = await chat.send("/watch atlantis")
    assert "atlantis" in reply["text"]
    assert _buttons(reply) == {}


async def test_settings_step_through_and_are_saved(
    provider: str,  # noqa: F811
    web_client: WebClient,  # noqa: F811
    start_chat: Any,
    api_url: str,
) -> None:
    chat, person = await _signed_up(start_chat, api_url, web_client)
    shown = await chat.send("/watchsettings")
    assert "Quiet hours (Europe/Berlin): off" in shown["text"]
    quiet = await _press(chat, shown, "Quiet hours")
    assert "22:00–07:00" in quiet["text"]
    digest = await _press(chat, quiet, "Mode")
    assert "daily digest only" in digest["text"]
    zone = await _press(chat, digest, "Time zone")
    assert "Quiet hours (Europe/Moscow): 22:00–07:00" in zone["text"]
    captcha = await _press(chat, zone, "Captcha notices")
    saved = (await person.get("/api/v1/watch/preferences")).json()
    assert saved["quiet_from"] == "22:00:00"
    assert saved["quiet_to"] == "07:00:00"
    assert saved["mode"] == "digest"
    assert saved["captcha_notices"] is False
    assert saved["timezone"] == "Europe/Moscow"
    assert "Captcha notices: off" in captcha["text"]
    listed = await chat.send("/watches")
    assert listed["text"]  # no watches: the list says so, settings via /watchsettings


async def test_seen_stops_reminders_and_keeps_the_booking_link(
    provider: str,  # noqa: F811
    web_client: WebClient,  # noqa: F811
    admin: Any,  # noqa: F811
    service: Any,  # noqa: F811
    start_chat: Any,
    api_url: str,
) -> None:
    chat, person = await _signed_up(start_chat, api_url, web_client)
    await person.put("/api/v1/watch/preferences", json={"repeat_until_seen": True})
    body = _watch_body()
    assert (await person.post("/api/v1/watches", json=body)).status_code == 201
    target = (await admin.get("/api/v1/admin/watch/targets")).json()[0]["id"]
    slot = datetime.combine(date.today() + timedelta(days=3), time(9), ZoneInfo("Europe/Berlin"))
    for slots in ([], [slot.isoformat()]):
        polls = f"/api/v1/watch/service/targets/{target}/polls"
        assert (await service.post(polls, json={"outcome": "ok", "slots": slots})).is_success
    await chat.send("/watches")  # the chat exists once the person wrote
    # What the relay would send: the outbox row's payload, through the bot.
    claimed = await service.post("/api/v1/notifications/claims", json={"limit": 10})
    [item] = claimed.json()["items"]
    payload = item["payload"]
    await chat.application.bot.send_message(
        chat.user_id,
        payload["text"],
        parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup.de_json(payload["reply_markup"], None),
    )
    [message] = [m for m in await chat.bot_messages() if "slot opened" in m["text"]]
    seen = await _press(chat, message, "Seen")
    assert "no more reminders" in seen["text"]
    assert "slot opened" in seen["text"]
    rows = seen["reply_markup"]["inline_keyboard"]
    assert [[button.get("url", "")[:8] for button in row] for row in rows] == [["https://"]]
    health = await service.post("/api/v1/watch/service/deliveries")
    assert health.json()["released"] == 0  # the reminders were dropped


async def test_a_sent_slot_message_is_edited_when_the_slot_goes(
    provider: str,  # noqa: F811
    web_client: WebClient,  # noqa: F811
    admin: Any,  # noqa: F811
    service: Any,  # noqa: F811
    start_chat: Any,
    api_url: str,
) -> None:
    """The relay's send keeps the message id; the slot going queues an edit of it,
    which the relay applies with editMessageText."""
    chat, person = await _signed_up(start_chat, api_url, web_client)
    body = _watch_body()
    assert (await person.post("/api/v1/watches", json=body)).status_code == 201
    target = (await admin.get("/api/v1/admin/watch/targets")).json()[0]["id"]
    polls = f"/api/v1/watch/service/targets/{target}/polls"
    day = date.today() + timedelta(days=3)
    nine, ten = (datetime.combine(day, time(h), ZoneInfo("Europe/Berlin")) for h in (9, 10))
    for slots in ([], [nine.isoformat(), ten.isoformat()]):
        assert (await service.post(polls, json={"outcome": "ok", "slots": slots})).is_success
    await chat.send("/watches")  # the chat exists once the person wrote

    async def relay_once() -> list[Any]:
        claimed = (await service.post("/api/v1/notifications/claims", json={})).json()["items"]
        reports = [
            await deliver(chat.application.bot, ClaimedNotification.model_validate(item))
            for item in claimed
        ]
        if reports:
            body = {"reports": [r.model_dump(mode="json", exclude_none=True) for r in reports]}
            assert (await service.post("/api/v1/notifications/reports", json=body)).is_success
        return reports

    [first] = await relay_once()  # one message per chat at a time: 09:00 first
    assert first.outcome == "sent"
    assert first.message_id
    # 09:00 goes after it was sent, 10:00 before: the first is edited, the second withdrawn.
    gone = await service.post(polls, json={"outcome": "ok", "slots": []})
    assert gone.json()["edited"] == 1
    assert gone.json()["withdrawn"] == 1
    [edit] = await relay_once()
    assert edit.outcome == "sent"
    [message] = [m for m in await chat.bot_messages() if m["message_id"] == first.message_id]
    assert message["text"].startswith("❌ This slot is gone.")
    assert "09:00" in message["text"]
    [[button]] = message["reply_markup"]["inline_keyboard"]
    assert button["url"].startswith("https://stadt.muenchen.de/")
    assert await relay_once() == []  # nothing else: the 10:00 message was never sent
    again = await service.post(polls, json={"outcome": "ok", "slots": []})
    assert again.json()["edited"] == 0


async def test_back_after_blocking_the_bot_offers_to_resume_paused_watches(
    provider: str,  # noqa: F811
    web_client: WebClient,  # noqa: F811
    start_chat: Any,
    api_url: str,
    session: AsyncSession,
) -> None:
    chat, person = await _signed_up(start_chat, api_url, web_client)
    body = _watch_body()
    for _ in range(2):
        assert (await person.post("/api/v1/watches", json=body)).status_code == 201
    first = (await person.get("/api/v1/watches")).json()[0]["id"]
    # The relay found them blocked and a poll paused their watches; one they paused themselves.
    await session.execute(update(Watch).values(paused_at=func.now(), paused_reason="blocked"))
    await session.execute(update(Watch).where(Watch.id == first).values(paused_reason="user"))
    offer = await chat.send("/start")
    assert "paused 1 of your slot watches" in offer["text"]
    listed = await _press(chat, offer, "Resume my watches")
    assert "Your watches" in listed["text"]
    states = {w["id"]: w["paused"] for w in (await person.get("/api/v1/watches")).json()}
    assert states[first] is True  # their own pause stays
    assert list(states.values()).count(False) == 1
    again = await chat.send("/start")
    assert "Resume my watches" not in str(again.get("reply_markup"))


async def test_edit_a_watch_and_page_a_long_office_list(
    provider: str,  # noqa: F811
    web_client: WebClient,  # noqa: F811
    admin: Any,  # noqa: F811
    service: Any,  # noqa: F811
    start_chat: Any,
    api_url: str,
) -> None:
    chat, person = await _signed_up(start_chat, api_url, web_client)
    many = {
        "offices": [
            {"id": f"9{n:03d}", "name": f"Amt {n:02d}", "service_ids": ["1063453"]}
            for n in range(1, 24)
        ],
        "services": [{"id": "1063453", "name": "Reisepass"}],
    }
    assert (await service.put("/api/v1/watch/service/providers/muc/catalog", json=many)).is_success
    first = await chat.send("/watch")
    assert list(_buttons(first))[:2] == ["Amt 01", "Amt 02"]
    assert len(_buttons(first)) == 11  # ten offices and More
    second = await _press(chat, first, "More offices")
    assert "Amt 11" in _buttons(second)
    assert "Back" in str(list(_buttons(second)))
    third = await _press(chat, second, "More offices")
    assert [b for b in _buttons(third) if b.startswith("Amt")] == ["Amt 21", "Amt 22", "Amt 23"]
    assert not any("More" in label for label in _buttons(third))
    # A second provider: /watch words search both.
    other = {"slug": "ber", "kind": "json", "name": "Berlin", "base_url": "https://x.example/",
             "booking_url": "https://x.example/{office}/{service}"}  # fmt: skip
    assert (await admin.post("/api/v1/admin/watch/providers", json=other)).status_code == 201
    catalog = {"offices": [{"id": "1", "name": "Amt 01 Mitte"}],
               "services": [{"id": "2", "name": "Pass"}]}  # fmt: skip
    assert (
        await service.put("/api/v1/watch/service/providers/ber/catalog", json=catalog)
    ).is_success
    found = await chat.send("/watch amt 01")
    assert set(_buttons(found)) == {"Amt 01 · München", "Amt 01 Mitte · Berlin"}

    body = _watch_body("9001", 90)
    assert (await person.post("/api/v1/watches", json=body)).status_code == 201
    listed = await chat.send("/watches")
    ranges = await _press(chat, listed, "Edit 1")
    hours = await _press(chat, ranges, "14 days")
    edited = await _press(chat, hours, "afternoons")
    assert "Your watches" in edited["text"]
    [watch] = (await person.get("/api/v1/watches")).json()
    assert watch["date_to"] == (date.today() + timedelta(days=14)).isoformat()
    assert watch["time_from"] == "12:00:00"
    assert watch["weekdays"] == [1, 2, 3, 4, 5]

"""A landlord in the chat: /avito_connect (the secret's message deleted), then
/close_dates with the date-range picker, the preview and Confirm, and the dates closed on
the emulator. The real Application against the sandbox's Bot API, the real api and
gateway (served on ports), the sandbox's Avito stand-in."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx

from concierge.api.rentals.calendar.service import CalendarDesk
from concierge.common.auth import SERVICE_TOKEN_HEADER
from tests.services.api.conftest import SERVICE_TOKEN
from tests.services.api.market.conftest import WebClient
from tests.services.avito.conftest import AVITO_USER, CLIENT_ID, CLIENT_SECRET, AvitoStack
from tests.services.avito.test_calendar import emulator_days
from tests.services.bot.conftest import WEBAPP


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {button["text"]: button.get("callback_data", "") for row in rows for button in row}


async def _press(chat: Any, message: dict[str, Any], label: str) -> dict[str, Any]:
    await asyncio.sleep(1.1)  # the sandbox, like Telegram, limits edits of one chat
    [data] = [data for text, data in _buttons(message).items() if text == label]
    await chat.press(message["message_id"], data)
    await chat.handle(await chat.updates())
    [edited] = [m for m in await chat.bot_messages() if m["message_id"] == message["message_id"]]
    return edited


def _day_label(message: dict[str, Any], day: date) -> str:
    [label] = [t for t in _buttons(message) if t[:-1] == str(day.day)]
    return label


async def test_a_landlord_connects_and_closes_dates_with_a_preview(
    avito: AvitoStack, web_client: WebClient, start_chat: Any
) -> None:
    await avito.landlord_account()
    avito_item = await avito.item(AVITO_USER, "Студия у моря")
    chat = await start_chat(api_url=avito.api_url)
    http = chat.deps.market.http._http
    http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
    http.timeout = httpx.Timeout(30.0)
    await web_client(chat.user_id)  # the landlord has used the bot before

    assert "client_id" in (await chat.send("/avito_connect"))["text"]
    await asyncio.sleep(1.1)  # the sandbox, like Telegram, paces messages to one chat
    assert "client_secret" in (await chat.send(CLIENT_ID))["text"]
    await asyncio.sleep(1.1)
    done = await chat.send(CLIENT_SECRET)
    assert "Connected" in done["text"]
    assert "Items imported: 1" in done["text"]
    history = (await chat.http.get(f"/sandbox/chats/{chat.user_id}/messages")).json()
    assert all(CLIENT_SECRET not in (m.get("text") or "") for m in history)  # deleted

    await asyncio.sleep(1.1)
    menu = await chat.send("/calendar")
    rows = menu["reply_markup"]["inline_keyboard"]
    apps = [b["web_app"]["url"] for row in rows for b in row if "web_app" in b]
    assert apps == [f"{WEBAPP}?startapp=calendars"]  # every item side by side in the Mini App

    await asyncio.sleep(1.1)
    items = await chat.send("/close_dates")
    assert all("web_app" not in b for row in items["reply_markup"]["inline_keyboard"] for b in row)
    picker = await _press(chat, items, "Студия у моря")
    first = CalendarDesk.today() + timedelta(days=1)
    if (first + timedelta(days=2)).month != first.month:
        picker = await _press(chat, picker, "▶")
        first = (first + timedelta(days=3)).replace(day=1)
    last = first + timedelta(days=2)
    picker = await _press(chat, picker, _day_label(picker, first))
    assert "first day" in picker["text"]
    preview = await _press(chat, picker, _day_label(picker, last))
    assert "closes 3 dates, opens 0" in preview["text"]
    assert set((await emulator_days(avito, avito_item)).values()) == {"free"}  # not yet
    written = await _press(chat, preview, "✅ Confirm")
    assert "closed 3" in written["text"]
    days = await emulator_days(avito, avito_item)
    closed = sorted(day for day, state in days.items() if state == "closed")
    assert closed == [(first + timedelta(days=n)).isoformat() for n in range(3)]

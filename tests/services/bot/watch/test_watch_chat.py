"""/watch in a chat: search an office, pick it, its service, how far ahead and which
hours, and the watch exists in the api; /watches pauses, resumes and removes it. The
real Application against the sandbox's Bot API and the real api (served on a port, on
the test's rolled-back session)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from concierge.common.auth import SERVICE_TOKEN_HEADER
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
    chat = await start_chat(api_url=api_url)
    chat.deps.market.http._http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
    person = await web_client(chat.user_id)  # signs the person up with the api

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

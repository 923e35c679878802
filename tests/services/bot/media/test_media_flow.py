"""/media in a chat: an indexer and a seedbox connected by dialogue (the message holding
the secret deleted at once), the search by buttons with no LLM (title → pick → release →
Add → the torrent on the sandbox seedbox), and the conversation streamed from the api
with its proposal's Add button. The real Application against the sandbox's Bot API, the
real api served on a port (on the test's rolled-back session), the media stand-ins."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common.auth import SERVICE_TOKEN_HEADER
from tests.libs.media.conftest import allowed, control, media_sandbox, sandbox_url
from tests.services.api.conftest import SERVICE_TOKEN
from tests.services.api.media.test_endpoints import (
    ARRIVAL,
    FIND,
    build_app,
    media_settings,
    sign_in,
)
from tests.services.sandbox.conftest import serve

__all__ = ["allowed", "control", "media_sandbox", "sandbox_url"]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {button["text"]: button.get("callback_data", "") for row in rows for button in row}


async def say(chat: Any, text: str, pause: float = 1.1) -> dict[str, Any]:
    await asyncio.sleep(pause)  # the sandbox, like Telegram, sends about 1 message/s a chat
    reply: dict[str, Any] = await chat.send(text)
    return reply


async def press(chat: Any, message: dict[str, Any], label: str, pause: float = 1.1) -> None:
    await asyncio.sleep(pause)
    await chat.press(message["message_id"], buttons(message)[label])
    await chat.handle(await chat.updates())


async def last(chat: Any) -> dict[str, Any]:
    return (await chat.bot_messages())[-1]


@pytest.fixture
async def chat_with_api(
    start_chat: Any,
    session: AsyncSession,
    redis: Redis,
    sandbox_url: str,
    allowed: frozenset[str],
    request: pytest.FixtureRequest,
) -> AsyncIterator[Any]:
    """A chat whose bot calls the real api (served on a port), its person signed up."""
    more = {k: v.replace("SANDBOX", sandbox_url) for k, v in getattr(request, "param", {}).items()}
    app = await build_app(session, redis, **media_settings(sandbox_url, allowed, **more))
    running = await serve(app, lifespan="off")
    try:
        chat = await start_chat(api_url=running.url)
        chat.deps.market.http._http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
        chat.deps.market.http._http.timeout = httpx.Timeout(15.0)
        async with AsyncExitStack() as stack:
            await sign_in(stack, app, chat.user_id)
        yield chat
    finally:
        await running.stop()


async def connect_by_dialogue(chat: Any, sandbox_url: str) -> None:
    intro = await say(chat, "/media")
    assert "Media mode" in intro["text"]
    await press(chat, intro, "🔌 Indexer")
    assert "Torznab" in (await last(chat))["text"]
    await say(chat, f"{sandbox_url}/media/torznab")
    done = await say(chat, "sandbox-torznab-key")
    assert "Indexer connected" in done["text"]
    await press(chat, done, "🧲 Seedbox")
    await press(chat, await last(chat), "Transmission")
    await press(chat, await last(chat), "🌐 On the internet")
    await say(chat, f"{sandbox_url}/media/transmission/4.1.0")
    await say(chat, "admin")
    wrong = await say(chat, "wrong-password")
    assert "refused the credentials" in wrong["text"]
    await press(chat, await _menu_message(chat), "🧲 Seedbox")
    await press(chat, await last(chat), "Transmission")
    await press(chat, await last(chat), "🌐 On the internet")
    await say(chat, f"{sandbox_url}/media/transmission/4.1.0")
    await say(chat, "admin")
    connected = await say(chat, "sandbox")
    assert "Seedbox connected" in connected["text"]
    history = (await chat.http.get(f"/sandbox/chats/{chat.user_id}/messages")).json()
    said = json.dumps(history)
    assert "sandbox-torznab-key" not in said  # deleted at once
    assert "wrong-password" not in said
    assert '"sandbox"' not in said


async def _menu_message(chat: Any) -> dict[str, Any]:
    for message in reversed(await chat.bot_messages()):
        if "🧲 Seedbox" in buttons(message):
            return message
    raise AssertionError("no menu")


async def torrents(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await control.get("/torrents")).json().get("transmission/4.1.0", []))


async def test_connect_then_search_by_buttons_and_add(
    chat_with_api: Any, sandbox_url: str, control: httpx.AsyncClient
) -> None:
    chat = chat_with_api
    await connect_by_dialogue(chat, sandbox_url)
    no_llm = await say(chat, "find Arrival in 1080p")  # media mode, no LLM configured
    assert "search by buttons" in no_llm["text"]
    await press(chat, no_llm, "🔎 Search")
    picks = await say(chat, "Arrival")
    assert "Which one?" in picks["text"]
    label = next(b for b, data in buttons(picks).items() if data.endswith(str(ARRIVAL)))
    await press(chat, picks, label, pause=3.5)
    offers = [m for m in await chat.bot_messages() if "➕ Add" in buttons(m)]
    assert offers
    assert offers[0]["text"].startswith("Arrival.2016.1080p")
    assert offers[0].get("parse_mode") is None  # plain text: a tracker title is data
    await press(chat, offers[0], "➕ Add")
    added = await last(chat)
    assert "Added to your seedbox" in added["text"]
    (torrent,) = await torrents(control)
    assert "Arrival" in json.dumps(torrent)


@pytest.mark.parametrize(
    "chat_with_api",
    [{"llm_provider": "openai", "llm_base_url": "SANDBOX/llm/openai/v1", "llm_model": "m"}],
    indirect=True,
)
async def test_the_conversation_streams_and_the_button_adds(
    chat_with_api: Any, sandbox_url: str, control: httpx.AsyncClient
) -> None:
    chat = chat_with_api
    async with httpx.AsyncClient(base_url=f"{sandbox_url}/sandbox/llm") as llm:
        (await llm.delete(sandbox_url + "/sandbox/llm")).raise_for_status()
        for step in FIND:
            (await llm.post("/faults", json=step)).raise_for_status()
    await connect_by_dialogue(chat, sandbox_url)
    await say(chat, "find Arrival in 1080p", pause=3.5)
    messages = await chat.bot_messages()
    assert any(m["text"] == "Arrival (2016) in 1080p. Add it?" for m in messages)
    (offer,) = [m for m in messages if "➕ Add" in buttons(m)]
    assert offer["text"].startswith("Arrival.2016.1080p")
    assert await torrents(control) == []  # proposed, not added
    await press(chat, offer, "➕ Add")
    assert "Added to your seedbox" in (await last(chat))["text"]
    assert len(await torrents(control)) == 1

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
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.domain.identity.models import User
from concierge.domain.media.downloads.repository import DownloadRepository
from concierge.domain.media.people.models import MediaSeedbox
from concierge.worker.media.texts import message as done_message
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


def labelled(message: dict[str, Any], start: str) -> str:
    return next(label for label in buttons(message) if label.startswith(start))


async def test_genres_then_watched_rated_recommended_and_history(chat_with_api: Any) -> None:
    """No LLM: the preferences' genres step, a title marked watched and rated, the
    recommendations that rating feeds, the history."""
    chat = chat_with_api
    intro = await say(chat, "/media")
    await press(chat, intro, "⚙️ Preferences")
    await press(chat, await last(chat), "1080p")
    await press(chat, await last(chat), "EN")
    genres = await last(chat)
    assert "Which genres" in genres["text"]
    adventure = labelled(genres, "приключения")  # TMDB's names, in the api's language for them
    await press(chat, genres, adventure)
    ticked = await last(chat)  # the same message, its keyboard edited
    assert ticked["message_id"] == genres["message_id"]
    assert "✓ приключения" in buttons(ticked)
    await press(chat, ticked, "Done ✓")
    await press(chat, await last(chat), "Yes")
    saved = await last(chat)
    assert "genres: приключения" in saved["text"]
    # search, then "Watched ✓" on the title and a rating
    await press(chat, saved, "🔎 Search")
    picks = await say(chat, "Arrival")
    watched = next(b for b, data in buttons(picks).items() if f":wt:{ARRIVAL}:m" in data)
    await press(chat, picks, watched)
    ask = await last(chat)
    assert "How would you rate" in ask["text"]
    await press(chat, ask, "9")
    rated = await last(chat)
    assert "— 9/10" in rated["text"]
    # the rating feeds the recommendations; adventure first
    await press(chat, rated, "✨ Recommend for me")
    found = await last(chat)
    lines = found["text"].splitlines()
    assert lines[0] == "✨ For you:"
    assert lines[1].startswith("1. Интерстеллар (2014) — because you liked")
    assert lines[2].startswith("2. Дюна (2021) — because you liked")
    assert "Прибытие" not in lines[1:]  # watched
    assert found.get("parse_mode") is None
    history = await press_and_last(chat, intro, "📜 Watched")
    assert history["text"].splitlines()[1].endswith("— 9/10")


async def press_and_last(chat: Any, message: dict[str, Any], label: str) -> dict[str, Any]:
    await press(chat, message, label)
    return await last(chat)


async def test_a_finished_downloads_rating_buttons(
    chat_with_api: Any, session: AsyncSession
) -> None:
    chat = chat_with_api
    await say(chat, "/media", pause=0)  # the chat exists once the person has written
    owner = await session.scalar(select(User.id).where(User.telegram_id == chat.user_id))
    assert owner is not None
    box = MediaSeedbox(user_id=owner, kind="transmission", url="http://seedbox.example:9091")
    session.add(box)
    await session.flush()
    download = await DownloadRepository(session).record(
        user_id=owner,
        seedbox_id=box.id,
        infohash="d" * 40,
        name="Arrival.2016.1080p.BluRay",
        title_id=ARRIVAL,
        title_kind="movie",
    )
    # the worker's "done" message, as the notifier sends it
    payload = done_message("done", "en", download.name, rate_id=download.id)
    assert payload.reply_markup is not None
    sent = await chat.application.bot.send_message(
        chat.user_id,
        payload.text,
        parse_mode=payload.parse_mode,
        reply_markup=payload.reply_markup.model_dump(),
    )
    await asyncio.sleep(1.1)
    await chat.press(sent.message_id, f"md:rd:{download.id}:8")
    await chat.handle(await chat.updates())
    assert "Прибытие — 8/10" in (await last(chat))["text"]
    # a button naming a download that is not the person's: told it is gone, nothing rated
    forged = done_message("done", "en", "Other", rate_id=999_999)
    assert forged.reply_markup is not None
    await asyncio.sleep(1.1)
    sent = await chat.application.bot.send_message(
        chat.user_id, forged.text, reply_markup=forged.reply_markup.model_dump()
    )
    await asyncio.sleep(1.1)
    await chat.press(sent.message_id, "md:rd:999999:8")
    await chat.handle(await chat.updates())
    assert "do not know that title" in (await last(chat))["text"]

"""/feed in a chat: the onboarding menu adds channels, the training round shows one post
at a time (each prompt deleted once rated, progress edited into the one menu), then the
feed shows the best unseen posts with rating buttons, and days later a nudge comes. The
real Application against the sandbox's Bot API and the real api (served on a port, on the
test's rolled-back session).

And the MessageManager on its own: the menu edited in place across a bot restart (the
registry is in Redis), replaced when Telegram no longer lets us edit it (deleted, or
older than 48 hours), prompts deleted once answered and never an error when too old."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.bot.feed.messages import EDITABLE_S, MessageManager
from concierge.bot.notify.sending import deliver
from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.contracts.notify import ClaimedNotification
from concierge.worker.feed.jobs import train_reader_in
from tests.services.api.conftest import SERVICE_TOKEN
from tests.services.api.feed.conftest import (  # noqa: F401 (fixtures)
    Corpus,
    corpus,
    market_app,
    service,
    web_client,
)
from tests.services.sandbox.conftest import serve


@pytest.fixture
async def api_url(market_app: FastAPI) -> AsyncIterator[str]:  # noqa: F811
    market_app.state.settings.feed_training_per_channel = 3
    market_app.state.settings.feed_explore = 0.0
    running = await serve(market_app, lifespan="off")
    yield running.url
    await running.stop()


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {button["text"]: button.get("callback_data", "") for row in rows for button in row}


async def _press(chat: Any, message: dict[str, Any], label: str) -> list[dict[str, Any]]:
    await asyncio.sleep(1.1)  # the sandbox, like Telegram, limits edits of one chat
    [data] = [data for text_, data in _buttons(message).items() if label in text_]
    await chat.press(message["message_id"], data)
    await chat.handle(await chat.updates())
    return await chat.bot_messages()


async def test_a_reader_goes_from_channels_through_training_to_their_feed(
    corpus: Corpus,  # noqa: F811
    start_chat: Any,
    api_url: str,
    session: AsyncSession,
    service: httpx.AsyncClient,  # noqa: F811
) -> None:
    chat = await start_chat(api_url=api_url)
    chat.deps.market.http._http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
    await chat.send("/start")
    await asyncio.sleep(1.1)  # one message a second in one chat, as Telegram allows
    menu = await chat.send("/feed")
    assert "Your feed" in menu["text"]
    assert "none yet" in menu["text"]
    assert [label for label in _buttons(menu) if label.startswith("➕")] == [
        "➕ Add: Channel 0",
        "➕ Add: Channel 1",
    ]
    messages = await _press(chat, menu, "Channel 0")
    [menu] = [m for m in messages if m["message_id"] == menu["message_id"]]  # edited in place
    assert "Following: Channel 0" in menu["text"]
    assert "▶️ Start training" in _buttons(menu)

    messages = await _press(chat, menu, "Start training")
    [menu] = [m for m in messages if m["message_id"] == menu["message_id"]]
    assert "0 of 3 rated" in menu["text"]
    prompt = messages[-1]
    assert prompt["text"].startswith("🎓 Training 1/3")
    likes = {d for d, topic in corpus.topic_of.items() if topic == "bikes"}
    prompts = []
    for _ in range(3):
        prompts.append(prompt["message_id"])
        document = int(_buttons(prompt)["👍"].split(":")[2])
        messages = await _press(chat, prompt, "👍" if document in likes else "👎")
        ids = [m["message_id"] for m in messages]
        assert prompts[-1] not in ids  # the answered prompt is gone
        prompt = messages[-1]
    [menu] = [m for m in messages if m["message_id"] == menu["message_id"]]
    assert "Your feed" in menu["text"]  # one menu throughout: edited, never resent
    assert sum(1 for m in messages if "Your feed" in m["text"]) == 1
    assert "👍" in _buttons(prompt)  # the first post of the feed
    status = await session.scalar(
        text("SELECT status FROM users WHERE telegram_id = :t"), {"t": chat.user_id}
    )
    assert status == "active"

    # The worker trains the model; the next posts are ranked by it, and rated posts stay.
    user_id = await session.scalar(
        text("SELECT id FROM users WHERE telegram_id = :t"), {"t": chat.user_id}
    )
    assert (await train_reader_in(session, int(user_id), min_ratings=20)).startswith("content")
    first = prompt
    messages = await _press(chat, first, "Skip")
    [kept] = [m for m in messages if m["message_id"] == first["message_id"]]
    assert _buttons(kept) == {}  # the post stays, its buttons go
    [menu] = [m for m in messages if "Your feed" in m["text"]]
    assert "by the posts you rated" in menu["text"]
    assert messages[-1]["message_id"] != first["message_id"]

    # Days pass without the reader: the worker's schedule asks for nudges, the relay
    # sends the best unseen post, and its 👍 works like the feed's.
    await session.execute(
        text(
            "UPDATE feed_readers SET last_active_at = now() - interval '4 days' WHERE user_id = :u"
        ),
        {"u": user_id},
    )
    nudged = await service.post("/api/v1/feed/service/nudges")
    assert nudged.json()["nudged"] == 1, nudged.text
    claimed = (await service.post("/api/v1/notifications/claims", json={})).json()["items"]
    [item] = [i for i in claimed if i["kind"] == "feed.nudge"]
    await asyncio.sleep(1.1)
    report = await deliver(chat.application.bot, ClaimedNotification.model_validate(item))
    assert report.outcome == "sent"
    nudge = (await chat.bot_messages())[-1]
    assert "While you were away" in nudge["text"]
    messages = await _press(chat, nudge, "👍")
    [kept] = [m for m in messages if m["message_id"] == nudge["message_id"]]
    assert _buttons(kept) == {}
    assert "From <b>" not in messages[-1]["text"]  # HTML is rendered, not shown
    assert (await service.post("/api/v1/feed/service/nudges")).json()["nudged"] == 0


async def test_a_channel_the_reader_names_needs_the_user_bot(
    corpus: Corpus,  # noqa: F811
    start_chat: Any,
    api_url: str,
) -> None:
    chat = await start_chat(api_url=api_url)
    chat.deps.market.http._http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
    await chat.send("/start")
    await asyncio.sleep(1.1)
    answer = await chat.send("/feed @bikes_daily")
    assert "can't check channels right now" in answer["text"]


async def test_the_menu_survives_a_restart_and_is_replaced_when_too_old(
    start_chat: Any, redis: Redis
) -> None:
    chat = await start_chat()
    await chat.write("hello")  # the chat exists (the bot writes first to nobody)
    bot = chat.application.bot
    first = MessageManager(redis)
    menu = await first.system(bot, chat.user_id, "menu 1")
    await asyncio.sleep(1.1)  # the sandbox, like Telegram, limits edits of one chat
    again = await MessageManager(redis).system(bot, chat.user_id, "menu 2")  # a new process
    assert again == menu
    assert (await chat.bot_messages())[-1]["text"] == "menu 2"

    # Deleted in the chat: editing fails, so a new menu replaces it (no error).
    await bot.delete_message(chat.user_id, menu)
    await asyncio.sleep(1.1)
    replaced = await first.system(bot, chat.user_id, "menu 3")
    assert replaced != menu
    # Older than 48 hours: not edited, replaced; the old one is left alone.
    await redis.hset(f"feed:msgs:{chat.user_id}", "at", first.now() - EDITABLE_S - 60)
    await asyncio.sleep(1.1)
    newest = await first.system(bot, chat.user_id, "menu 4")
    assert newest != replaced
    texts = [m["text"] for m in await chat.bot_messages()]
    assert texts[-2:] == ["menu 3", "menu 4"]

    # Prompts: deleted once answered; one too old to delete is forgotten, not an error.
    await asyncio.sleep(1.1)  # one message a second in one chat, as Telegram allows
    kept = await first.ephemeral(bot, chat.user_id, "old prompt")
    await redis.zadd(f"feed:eph:{chat.user_id}", {str(kept): first.now() - EDITABLE_S - 1})
    await asyncio.sleep(1.1)
    gone = await first.ephemeral(bot, chat.user_id, "prompt")
    await asyncio.sleep(1.1)
    also_gone = await first.ephemeral(bot, chat.user_id, "another prompt")
    await bot.delete_message(chat.user_id, also_gone)  # the person deleted it already
    assert await first.clear(bot, chat.user_id) == 1
    ids = [m["message_id"] for m in await chat.bot_messages()]
    assert kept in ids
    assert gone not in ids
    assert await redis.zcard(f"feed:eph:{chat.user_id}") == 0
    await asyncio.sleep(1.1)
    stays = await first.onetime(bot, chat.user_id, "content")
    await first.clear(bot, chat.user_id)
    assert stays in [m["message_id"] for m in await chat.bot_messages()]


async def test_a_flood_of_ratings_is_told_not_retried(
    corpus: Corpus,  # noqa: F811
    start_chat: Any,
    api_url: str,
    market_app: FastAPI,  # noqa: F811
) -> None:
    chat = await start_chat(api_url=api_url)
    chat.deps.market.http._http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
    await chat.send("/start")
    await asyncio.sleep(1.1)
    menu = await chat.send("/feed")
    messages = await _press(chat, menu, "Channel 1")
    [menu] = [m for m in messages if m["message_id"] == menu["message_id"]]
    messages = await _press(chat, menu, "Start training")
    market_app.state.settings.feed_ratings_per_minute = 1
    prompt = messages[-1]
    messages = await _press(chat, prompt, "👎")  # the first of the minute: counted
    prompt = messages[-1]
    messages = await _press(chat, prompt, "👍")  # over the limit: said, nothing stored
    assert "Too many ratings" in messages[-1]["text"]
    assert prompt["message_id"] in [m["message_id"] for m in messages]  # still to rate

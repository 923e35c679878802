"""The feed desk end to end, every service a real process: a reader opens /feed, picks a
suggested demo channel (a telegram source the worker read through the user-bot from the
sandbox's MTProto stand-in) and adds another by @name (resolved by the user-bot, then read
by the worker), rates the training round one post at a time with the progress in the menu,
gets a personal feed, is nudged when idle (the stack's nudge settings are seconds, see
tests/e2e/conftest.py), churns after the ignored nudge, and is active again on return."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ACTING_USER_HEADER, ApiClient
from concierge.contracts.search import SourceKind
from concierge.contracts.sources import SourceCreate
from tests.e2e.test_ingest import api, poll_now, sandbox, wait_for_documents
from tests.support.sandbox import Message, SandboxUser, button_data
from tests.support.stack import ADMIN_ID, SERVICE_TOKEN, Stack

pytestmark = pytest.mark.e2e
__all__ = ["api", "sandbox"]  # fixtures

SUGGESTED = "kitchen_notes"  # a demo channel the admin registered (as make dev does)
NAMED = "pitch_side"  # a demo channel the reader names: new to the api
POSTS = 34  # each demo channel's posts (the sandbox's POSTS_PER_CHANNEL)
TRAINING = re.compile(r"Training: (\d+) of (\d+) rated")
TAG = re.compile(r"<[^>]+>")


@pytest.fixture
async def service(stack: Stack) -> AsyncIterator[ServiceClient]:
    async with ServiceClient(stack.url("api"), SERVICE_TOKEN, timeout=10) as http:
        yield http


async def feed_state(service: ServiceClient, telegram_id: int) -> dict[str, Any]:
    response = await service.request(
        "GET", "/api/v1/feed", headers={ACTING_USER_HEADER: str(telegram_id)}
    )
    return dict(response.json())


async def source_of(db: AsyncEngine, handle: str) -> int | None:
    async with db.connect() as connection:
        return await connection.scalar(
            text("SELECT id FROM sources WHERE kind = 'telegram' AND handle = :h"), {"h": handle}
        )


def plain(message: Message) -> str:
    """The message's text without its HTML tags (the sandbox keeps what the bot sent)."""
    return TAG.sub("", str(message.get("text") or ""))


def feed_posts(messages: list[Message], before: frozenset[int] = frozenset()) -> list[Message]:
    return [
        m for m in with_buttons(messages, "fd:r:")
        if m["message_id"] not in before and plain(m).startswith("📰 From")
    ]  # fmt: skip


def with_buttons(messages: list[Message], prefix: str) -> list[Message]:
    return [m for m in messages if any(d.startswith(prefix) for d in button_data(m))]


def training_menu(messages: list[Message]) -> tuple[int, int] | None:
    for message in messages:
        found = TRAINING.search(plain(message))
        if found:
            return int(found.group(1)), int(found.group(2))
    return None


async def wait_until(condition: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = await condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


async def test_a_reader_goes_from_start_to_a_personal_feed_and_a_nudge(
    stack: Stack,
    api: ApiClient,
    service: ServiceClient,
    sandbox: httpx.AsyncClient,
    user: SandboxUser,
    e2e_db: AsyncEngine,
    e2e_redis: Redis,
) -> None:
    # The admin registers a demo channel, as make dev does; the worker reads it.
    suggested = await source_of(e2e_db, SUGGESTED)
    if suggested is None:
        suggested = (
            await api.add_source(
                ADMIN_ID, SourceCreate(kind=SourceKind.TELEGRAM, handle=f"@{SUGGESTED}")
            )
        ).id
    await poll_now(e2e_redis)
    await wait_for_documents(e2e_db, suggested, POSTS, timeout_s=180)
    assert await source_of(e2e_db, NAMED) is None  # the reader brings this one

    user.first_name = "Reader"
    await user.send("/start", language_code="en")
    await user.wait_for_reply()

    # /feed: the onboarding menu offers the demo channel.
    await user.send("/feed", language_code="en")
    add = f"fd:a:{suggested}"
    messages = await user.wait_for(lambda ms: any(add in button_data(m) for m in ms))
    (menu,) = [m for m in messages if add in button_data(m)]
    assert "Your feed" in menu["text"]
    assert (await feed_state(service, user.id))["status"] == "onboarding"
    await user.press(menu["message_id"], add)
    # The menu is edited in place: now following the channel, with "Start training".
    messages = await user.wait_for(
        lambda ms: any("fd:t" in button_data(m) for m in ms) and "Kitchen Notes" in str(ms)
    )

    # /feed @name: the user-bot resolves it, the api follows it, the worker reads it.
    await user.send(f"/feed @{NAMED}", language_code="en")
    named = await wait_until(lambda: source_of(e2e_db, NAMED), 30, "the named channel")
    await poll_now(e2e_redis)
    await wait_for_documents(e2e_db, named, POSTS, timeout_s=180)
    state = await feed_state(service, user.id)
    assert state["channels"] == 2
    # A channel that does not exist is refused in the chat, and nothing is stored.
    await user.send("/feed @nobody_has_this_name", language_code="en")
    await user.wait_for(lambda ms: any("could not find the channel" in plain(m) for m in ms))
    assert await source_of(e2e_db, "nobody_has_this_name") is None
    assert (await feed_state(service, user.id))["channels"] == 2

    # The training round: one post at a time, progress in the menu, the answered prompt gone.
    await user.send("/feed", language_code="en")
    messages = await user.wait_for(lambda ms: bool(with_buttons(ms, "fd:t")))
    (menu,) = with_buttons(messages, "fd:t")
    await user.press(menu["message_id"], "fd:t")
    verdicts = ["l", "d", "s"]
    rated: list[int] = []
    total = None
    for turn in range(100):
        messages = await user.wait_for(
            lambda ms: (
                bool(feed_posts(ms))
                or any("Training" in plain(m) for m in with_buttons(ms, "fd:r:"))
            ),
            timeout_s=30,
        )
        if feed_posts(messages):
            break  # the round is over: the first feed post came
        prompts = [m for m in with_buttons(messages, "fd:r:") if "Training" in plain(m)]
        assert len(prompts) == 1, prompts  # the answered prompt was deleted
        (prompt,) = prompts
        progress = training_menu(messages)
        assert progress is not None, messages
        assert progress[0] == len(rated)
        total = progress[1]
        assert f"Training {len(rated) + 1}/{total}" in plain(prompt)
        data = next(d for d in button_data(prompt) if d.endswith(":" + verdicts[turn % 3]))
        rated.append(int(data.split(":")[2]))
        await user.press(prompt["message_id"], data)
        await user.wait_for(
            lambda ms, old=prompt["message_id"]: all(m["message_id"] != old for m in ms),
            timeout_s=30,
        )
    assert total == len(rated) == 10  # 5 posts of each channel
    # Trained, then the first feed post came with its rating buttons: the reader is active.
    state = await wait_until(
        lambda: _status(service, user.id, "active"), 30, "the reader to become active"
    )
    skipped = len(rated) // 3  # every third verdict was "skip"
    assert state["ratings"] == len(rated) - skipped  # likes and dislikes

    # /feed: an unseen post with rating buttons.
    before = frozenset(m["message_id"] for m in await user.bot_messages())
    await user.send("/feed", language_code="en")
    messages = await user.wait_for(lambda ms: bool(feed_posts(ms, before)))
    (post,) = feed_posts(messages, before)
    rating = [d for d in button_data(post) if d.startswith("fd:r:")]
    assert len(rating) == 3
    assert int(rating[0].split(":")[2]) not in rated

    # Idle: the nudge brings the best unseen post, with rating buttons, once.
    nudges = await user.wait_for(
        lambda ms: any("While you were away" in plain(m) for m in ms), timeout_s=60
    )
    (nudge,) = [m for m in nudges if "While you were away" in plain(m)]
    assert len([d for d in button_data(nudge) if d.startswith("fd:r:")]) == 3
    # The nudge went unanswered: the reader churns.
    await wait_until(lambda: _status(service, user.id, "churned"), 60, "the reader to churn")
    # Returning makes them active again, with a post to rate.
    before = frozenset(m["message_id"] for m in await user.bot_messages())
    await user.send("/feed", language_code="en")
    await user.wait_for(lambda ms: bool(feed_posts(ms, before)))
    state = await feed_state(service, user.id)
    assert state["status"] == "active"
    async with e2e_db.connect() as connection:
        moves = (
            (
                await connection.execute(
                    text(
                        "SELECT l.details->>'to' FROM user_logs l JOIN users u ON u.id = l.user_id "
                        "WHERE u.telegram_id = :id AND l.action = 'status_changed' ORDER BY l.id"
                    ),
                    {"id": user.id},
                )
            )
            .scalars()
            .all()
        )
        nudged = await connection.scalar(
            text(
                "SELECT count(*) FROM feed_nudges n JOIN users u ON u.id = n.user_id "
                "WHERE u.telegram_id = :id"
            ),
            {"id": user.id},
        )
    assert list(moves) == ["onboarding", "training", "trained", "active", "churned", "active"]
    assert nudged == 1


async def _status(service: ServiceClient, telegram_id: int, status: str) -> dict[str, Any] | None:
    state = await feed_state(service, telegram_id)
    return state if state["status"] == status else None

"""The media desk with real processes (its own stack, the sandbox's LLM, TMDB, Torznab and
Transmission stand-ins, torrents done in a few seconds, the watcher checking every
second): a person connects an indexer and a seedbox in the chat, says "find Arrival in
1080p", gets a proposal, presses Add — the torrent is on the sandbox seedbox — and hears
"done" from the worker's watcher through the outbox; the same by buttons; a wrong
password is told and stored nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from concierge.common.secret_box import SecretBox
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis
from tests.e2e.conftest import BOT_ID
from tests.support.infra import migrated_database
from tests.support.sandbox import Message, SandboxUser
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

ARRIVAL = 329865
MEDIA_REDIS_DB = 8  # 0 is flushed by other tests; 1-7 belong to other stacks
_users = iter(range(830_000, 831_000))


@pytest.fixture(scope="module")
def media_stack(
    postgres: EmbeddedPostgres, redis_server: EmbeddedRedis, scratch: Path
) -> Iterator[Stack]:
    # A database and a Redis database of its own: beside the shared e2e stack (same bot
    # token, same schedules) its bot would be refused the token's lock, and the shared
    # stack's worker and relay would claim this stack's schedules and notifications.
    database_url = migrated_database(postgres, "e2e_media")
    redis_url = f"{redis_server.url}?db={MEDIA_REDIS_DB}"
    running = Stack(database_url, redis_url, scratch / "e2e-media-logs")
    sandbox = running.url("sandbox")
    running.extra_env.update(
        {
            "API_MEDIA_SECRET_KEYS": SecretBox.new_key(),
            "API_MEDIA_TMDB_URL": f"{sandbox}/media/tmdb/3",
            "API_MEDIA_TMDB_KEY": "sandbox-tmdb-key",
            "API_LLM_PROVIDER": "openai",
            "API_LLM_BASE_URL": f"{sandbox}/llm/openai/v1",
            "API_LLM_MODEL": "sandbox",
            "SANDBOX_MEDIA_TORRENT_SECONDS": "3",
            "WORKER_MEDIA_WATCH_EVERY_S": "1",
            "WORKER_MEDIA_CHECK_EVERY_S": "1",
        }
    )
    try:
        yield running.start("sandbox", "api", "bot", "worker")
    finally:
        running.stop()


@pytest.fixture
async def person(media_stack: Stack) -> AsyncIterator[SandboxUser]:
    async with SandboxUser.connect(media_stack.url("sandbox"), next(_users), BOT_ID) as user:
        yield user


@pytest.fixture
async def other(media_stack: Stack) -> AsyncIterator[SandboxUser]:
    async with SandboxUser.connect(media_stack.url("sandbox"), next(_users), BOT_ID) as user:
        yield user


def buttons(message: Message) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {b["text"]: b.get("callback_data", "") for row in rows for b in row}


async def last_with(user: SandboxUser, needle: str, timeout_s: float = 30.0) -> Message:
    messages = await user.wait_for(lambda ms: any(needle in m["text"] for m in ms), timeout_s)
    return [m for m in messages if needle in m["text"]][-1]


async def seen_count(user: SandboxUser) -> int:
    try:
        return len(await user.bot_messages())
    except httpx.HTTPStatusError:  # no chat yet
        return 0


async def say(user: SandboxUser, text: str, expect: str, timeout_s: float = 30.0) -> Message:
    await asyncio.sleep(1.1)
    seen = await seen_count(user)
    await user.send(text)

    def answered(messages: list[Message]) -> bool:
        return any(expect in m["text"] for m in messages[seen:])

    messages = await user.wait_for(answered, timeout_s)
    return [m for m in messages[seen:] if expect in m["text"]][-1]


async def press(user: SandboxUser, message: Message, label: str, expect: str) -> Message:
    await asyncio.sleep(1.1)
    seen = await seen_count(user)
    await user.press(message["message_id"], buttons(message)[label])

    def answered(messages: list[Message]) -> bool:
        return any(expect in m["text"] for m in messages[seen:])

    messages = await user.wait_for(answered, 30)
    return [m for m in messages[seen:] if expect in m["text"]][-1]


async def connect(user: SandboxUser, sandbox: str) -> None:
    await user.send("/start")  # the person signs up, as every desk expects
    await user.wait_for_reply()
    intro = await say(user, "/media", "Media mode")
    await press(user, intro, "🔌 Indexer", "Torznab")
    await say(user, f"{sandbox}/media/torznab", "API key")
    done = await say(user, "sandbox-torznab-key", "Indexer connected")
    kinds = await press(user, done, "🧲 Seedbox", "Which seedbox")
    where = await press(user, kinds, "Transmission", "Where is it")
    await press(user, where, "🌐 On the internet", "web address")
    await say(user, f"{sandbox}/media/transmission/4.1.0", "user name")
    await say(user, "admin", "password")
    wrong = await say(user, "not-the-password", "❌")
    assert "refused the credentials" in wrong["text"]
    kinds = await press(user, done, "🧲 Seedbox", "Which seedbox")
    where = await press(user, kinds, "Transmission", "Where is it")
    await press(user, where, "🌐 On the internet", "web address")
    await say(user, f"{sandbox}/media/transmission/4.1.0", "user name")
    await say(user, "admin", "password")
    await say(user, "sandbox", "Seedbox connected")
    said = json.dumps(await user.history())
    assert "sandbox-torznab-key" not in said
    assert "not-the-password" not in said


async def torrents(sandbox: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await sandbox.get("/sandbox/media/torrents")).json().get("transmission/4.1.0", []))


async def test_find_arrival_add_it_and_hear_it_is_done(
    media_stack: Stack, person: SandboxUser, other: SandboxUser
) -> None:
    sandbox_url = media_stack.url("sandbox")
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=10) as sandbox:
        (await sandbox.post("/sandbox/media/reset")).raise_for_status()
        (await sandbox.delete("/sandbox/llm")).raise_for_status()
        find = [
            {"name": "search_titles", "arguments": {"query": "Arrival"}},
            {
                "name": "search_releases",
                "arguments": {"title": "Arrival", "tmdb_id": ARRIVAL, "quality": "1080p"},
            },
        ]
        for step in [
            {"kind": "tool_calls", "calls": find[:1]},
            {"kind": "tool_calls", "calls": find[1:]},
            {"kind": "tool_calls", "calls": [{"name": "propose_release", "arguments": {"ref": 1}}]},
            {"kind": "reply", "text": "Arrival (2016) in 1080p. Add it?"},
        ]:
            (await sandbox.post("/sandbox/llm/faults", json=step)).raise_for_status()
        await connect(person, sandbox_url)

        await say(person, "find Arrival in 1080p", "Add it?", timeout_s=60)
        offer = await last_with(person, "Arrival.2016.1080p")
        assert "➕ Add" in buttons(offer)
        assert await torrents(sandbox) == []  # proposed, not added
        await press(person, offer, "➕ Add", "Added to your seedbox")
        assert len(await torrents(sandbox)) == 1
        done = await last_with(person, "Download finished", 60)  # the watcher, the outbox
        assert "Arrival.2016.1080p" in done["text"]
        # its rating buttons: the title goes to the history, which recommendations read
        await press(person, done, "8", "— 8/10")

        # the same by buttons: Search → the title → a release → Add
        menu = await say(person, "/media", "Media mode")
        await press(person, menu, "🔎 Search", "Send the title")
        picks = await say(person, "Arrival", "Which one?")
        label = next(b for b, d in buttons(picks).items() if d.endswith(str(ARRIVAL)))
        await asyncio.sleep(2.5)
        await press(person, picks, label, "seeders")
        shown = await person.wait_for(
            lambda ms: sum("🔁 Other options" in buttons(m) for m in ms) >= 4, 30
        )  # the conversation's offer and the three by buttons
        offers = [m for m in shown if "🔁 Other options" in buttons(m)]
        alt = next(m for m in reversed(offers) if "2160p" in m["text"] or "720p" in m["text"])
        await press(person, alt, "➕ Add", "Added to your seedbox")
        assert len(await torrents(sandbox)) == 2

        # a seedbox down at Add: told, nothing recorded
        fault = {"service": "transmission", "kind": "down", "times": 20}
        (await sandbox.post("/sandbox/media/faults", json=fault)).raise_for_status()
        last_offer = next(m for m in reversed(offers) if m is not alt)
        refused = await press(person, last_offer, "➕ Add", "❌")
        assert "did not take the torrent" in refused["text"]
        (await sandbox.post("/sandbox/media/reset")).raise_for_status()

    # another person reaches none of it
    async with httpx.AsyncClient(base_url=media_stack.url("api"), timeout=10) as api:
        service = {"X-Service-Token": media_stack.service_token}
        mine = await api.get(
            "/api/v1/media/downloads", headers={**service, "X-Acting-User": str(person.id)}
        )
        assert len(mine.json()) == 2
        await other.send("/start")
        await other.wait_for_reply()
        theirs = await api.get(
            "/api/v1/media/downloads", headers={**service, "X-Acting-User": str(other.id)}
        )
        assert theirs.json() == []
        token = buttons(last_offer)["➕ Add"].split(":")[-1]
        stolen = await api.post(
            f"/api/v1/media/proposals/{token}/add",
            headers={**service, "X-Acting-User": str(other.id)},
        )
        assert stolen.status_code == 404

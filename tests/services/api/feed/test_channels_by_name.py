"""A reader names a channel (``@name`` or a t.me link): the api asks the real user-bot (a
process reading the sandbox's MTProto stand-in, another process) and follows it as a
telegram source the worker then reads. Each refusal is a clear answer and stores nothing:
no such channel (404), a private channel, a user or a bot (422), a flood wait (503 with
Retry-After), a logged-out user-bot (503), an unreachable one (503)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.embedded import ServiceProcess, free_port
from tests.services.api.feed.conftest import Corpus
from tests.services.api.market.conftest import WebClient
from tests.services.api.search.factories import _insert, add_source
from tests.support.userbot import resolves, sandbox_process, userbot_process

READER = 720_101
FEED = "/api/v1/feed"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with sandbox_process(tmp_path_factory.mktemp("sandbox")) as process:
        yield process


@pytest.fixture
def userbot(
    sandbox: ServiceProcess, market_app: FastAPI, tmp_path: Path
) -> Iterator[ServiceProcess]:
    """A fresh user-bot (its own session folder) speaking the api's service token; the
    sandbox's faults and session state reset first."""
    httpx.post(f"{sandbox.url}/sandbox/mtproto/reset").raise_for_status()
    with userbot_process(sandbox, market_app.state.service_token, tmp_path) as process:
        yield process


def wired(app: FastAPI, url: str) -> None:
    app.state.settings = app.state.settings.model_copy(update={"userbot_url": url})


@pytest.fixture
async def reader(
    market_app: FastAPI, web_client: WebClient, userbot: ServiceProcess
) -> httpx.AsyncClient:
    """The reader's web client, the api asking the fresh user-bot."""
    wired(market_app, userbot.url)
    return await web_client(READER)


async def stored(session: AsyncSession) -> tuple[int, int]:
    sources = await session.scalar(text("SELECT count(*) FROM sources WHERE kind = 'telegram'"))
    channels = await session.scalar(text("SELECT count(*) FROM feed_channels"))
    return int(sources or 0), int(channels or 0)


async def test_a_named_channel_is_resolved_by_the_userbot_and_followed(
    reader: httpx.AsyncClient, session: AsyncSession, sandbox: ServiceProcess
) -> None:
    added = await reader.post(f"{FEED}/channels", json={"ref": "@Kukhnya_Doma"})
    assert added.status_code == 201, added.text
    channel = added.json()
    assert channel["title"] == "Кухня дома"
    source = (
        await session.execute(
            text("SELECT kind, handle, enabled FROM sources WHERE id = :id"),
            {"id": channel["source_id"]},
        )
    ).one()
    assert tuple(source) == ("telegram", "kukhnya_doma", True)  # the worker reads it now
    assert (await reader.post(FEED + "/start")).json()["status"] == "onboarding"
    assert resolves(sandbox) == 1
    # The same channel as a link: the source is known, nothing is resolved again.
    again = await reader.post(f"{FEED}/channels", json={"ref": "https://t.me/kukhnya_doma"})
    assert again.status_code == 201, again.text
    assert again.json()["source_id"] == channel["source_id"]
    assert resolves(sandbox) == 1
    assert await stored(session) == (1, 1)
    # Another channel by its t.me link.
    other = await reader.post(f"{FEED}/channels", json={"ref": "t.me/byte_digest"})
    assert other.status_code == 201, other.text
    assert other.json()["title"] == "Byte Digest"
    assert await stored(session) == (2, 2)


@pytest.mark.parametrize(
    ("ref", "status", "says", "code"),
    [
        ("@nobody_has_this_name", 404, "No channel @nobody_has_this_name", "channel_not_found"),
        ("@demo_user", 422, "@demo_user is not a channel", "not_a_channel"),
        ("@demo_helper_bot", 422, "@demo_helper_bot is not a channel", "not_a_channel"),
        ("https://t.me/+AbCdEfGhIjKlMnOp", 422, "is private", "channel_private"),
    ],
)
async def test_a_channel_that_cannot_be_followed_is_refused_and_nothing_stored(
    reader: httpx.AsyncClient, session: AsyncSession, ref: str, status: int, says: str, code: str
) -> None:
    response = await reader.post(f"{FEED}/channels", json={"ref": ref})
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert response.json()["code"] == code
    assert await stored(session) == (0, 0)
    assert (await reader.get(f"{FEED}/channels")).json() == []


async def test_a_flood_wait_is_a_503_with_retry_after_and_nothing_stored(
    reader: httpx.AsyncClient, session: AsyncSession, sandbox: ServiceProcess
) -> None:
    # Longer than the user-bot sleeps through itself (5 s): it pauses resolves and says so.
    httpx.post(
        f"{sandbox.url}/sandbox/mtproto/faults", json={"method": "resolve", "flood_wait_s": 40}
    ).raise_for_status()
    response = await reader.post(f"{FEED}/channels", json={"ref": "@pitch_side"})
    assert response.status_code == 503, response.text
    assert "wait 40 s" in response.json()["detail"]
    assert response.json()["code"] == "flood_wait"
    assert 30 <= response.json()["params"]["retry_after"] <= 40
    assert 30 <= int(response.headers["Retry-After"]) <= 40
    # Paused: the next one is answered at once, without asking Telegram again.
    before = resolves(sandbox)
    response = await reader.post(f"{FEED}/channels", json={"ref": "@v_doroge"})
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert resolves(sandbox) == before
    assert await stored(session) == (0, 0)


async def test_a_logged_out_userbot_is_a_clear_503_and_nothing_stored(
    reader: httpx.AsyncClient, session: AsyncSession, sandbox: ServiceProcess
) -> None:
    httpx.post(
        f"{sandbox.url}/sandbox/mtproto/session", json={"state": "revoked"}
    ).raise_for_status()
    response = await reader.post(f"{FEED}/channels", json={"ref": "@pitch_side"})
    assert response.status_code == 503, response.text
    assert "logged out" in response.json()["detail"]
    assert response.json()["code"] == "userbot_logged_out"
    assert await stored(session) == (0, 0)


async def test_an_unreachable_userbot_is_a_503_and_nothing_stored(
    market_app: FastAPI, web_client: WebClient, session: AsyncSession
) -> None:
    wired(market_app, f"http://127.0.0.1:{free_port()}")
    reader = await web_client(READER)
    response = await reader.post(f"{FEED}/channels", json={"ref": "@pitch_side"})
    assert response.status_code == 503, response.text
    assert "unavailable" in response.json()["detail"]
    assert await stored(session) == (0, 0)


async def test_suggestions_are_the_channels_first_then_feeds(
    corpus: Corpus, web_client: WebClient, session: AsyncSession
) -> None:
    """make dev's demo channels are telegram sources: they come before the demo feeds,
    however full the feeds are; a source without posts yet, or one followed, is not offered."""
    feed = await add_source(session, "A busy feed", kind="rss")
    for number in range(40):
        await _insert(session, {"source_id": feed, "text": f"Feed item {number} {feed}"})
    await add_source(session, "An empty channel", kind="telegram")
    reader = await web_client(READER)
    offered = (await reader.get(f"{FEED}/suggestions")).json()
    assert [s["source_id"] for s in offered] == [*corpus.channels, feed]
    added = await reader.post(f"{FEED}/channels", json={"source_id": corpus.channels[0]})
    assert added.status_code == 201, added.text
    offered = (await reader.get(f"{FEED}/suggestions")).json()
    assert [s["source_id"] for s in offered] == [corpus.channels[1], feed]

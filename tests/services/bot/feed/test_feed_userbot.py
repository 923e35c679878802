"""/feed @name in a chat with the real user-bot (a process reading the sandbox's MTProto
stand-in) behind the real api: a channel is followed; a flood wait is told with its
seconds at once (not retried), a logged-out user-bot and an unknown channel plainly."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.embedded import ServiceProcess
from tests.services.api.conftest import SERVICE_TOKEN
from tests.services.api.feed.conftest import (  # noqa: F401 (fixtures)
    Corpus,
    corpus,
    market_app,
    service,
    web_client,
)
from tests.services.api.feed.test_channels_by_name import sandbox, userbot, wired
from tests.services.bot.feed.test_feed_chat import api_url

__all__ = ["api_url", "sandbox", "userbot"]  # fixtures


async def _telegram_sources(session: AsyncSession) -> int:
    return int(
        await session.scalar(text("SELECT count(*) FROM sources WHERE handle = 'pitch_side'")) or 0
    )


async def test_feed_at_name_through_the_userbot(
    corpus: Corpus,  # noqa: F811
    market_app: FastAPI,  # noqa: F811
    session: AsyncSession,
    start_chat: Any,
    api_url: str,
    userbot: ServiceProcess,
    sandbox: ServiceProcess,
) -> None:
    wired(market_app, userbot.url)
    chat = await start_chat(api_url=api_url)
    chat.deps.market.http._http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
    await chat.send("/start")
    await asyncio.sleep(1.1)
    answer = await chat.send("/feed @nobody_has_this_name")
    assert "could not find the channel @nobody_has_this_name" in answer["text"]

    httpx.post(
        f"{sandbox.url}/sandbox/mtproto/faults", json={"method": "resolve", "flood_wait_s": 40}
    ).raise_for_status()
    await asyncio.sleep(1.1)
    answer = await chat.send("/feed @pitch_side")
    assert "Telegram asks me to wait" in answer["text"]
    assert "@pitch_side" in answer["text"]
    calls = httpx.get(f"{sandbox.url}/sandbox/mtproto/stats").json()["calls"]
    assert calls["resolve"] == 2  # the unknown name and the flood wait: not retried
    assert await _telegram_sources(session) == 0

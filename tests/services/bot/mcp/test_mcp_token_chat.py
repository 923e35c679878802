"""/mcp_token in a chat: a token made (shown once, in a private chat only), listed
without its secret, refused for a taken name or an unknown scope, revoked by a button
and by name. The real Application against the sandbox's Bot API and the real api
(served on a port, on the test's rolled-back session)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from concierge.common.auth import SERVICE_TOKEN_HEADER
from tests.services.api.conftest import SERVICE_TOKEN
from tests.services.api.market.conftest import (  # noqa: F401 (fixtures)
    WebClient,
    market_app,
    web_client,
)
from tests.services.sandbox.conftest import serve

TOKEN = re.compile(r"cmcp_[A-Za-z0-9_-]{43}")


@pytest.fixture
async def api_url(market_app: FastAPI) -> AsyncIterator[str]:  # noqa: F811
    running = await serve(market_app, lifespan="off")
    yield running.url
    await running.stop()


async def _say(chat: Any, text: str) -> dict[str, Any]:
    await asyncio.sleep(1.1)  # the sandbox, like Telegram, sends about 1 message/s a chat
    reply: dict[str, Any] = await chat.send(text)
    return reply


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return {button["text"]: button.get("callback_data", "") for row in rows for button in row}


async def test_make_list_and_revoke_tokens_in_the_chat(
    web_client: WebClient,  # noqa: F811
    start_chat: Any,
    api_url: str,
) -> None:
    chat = await start_chat(api_url=api_url)
    chat.deps.market.http._http.headers[SERVICE_TOKEN_HEADER] = SERVICE_TOKEN
    person = await web_client(chat.user_id)

    empty = await _say(chat, "/mcp_token")
    assert "no tokens" in empty["text"]
    assert "/mcp_token name" in empty["text"]

    made = await _say(chat, "/mcp_token laptop")
    [secret] = TOKEN.findall(made["text"])
    assert "only this once" in made["text"]
    listed = (await person.get("/api/v1/mcp/tokens")).json()
    assert [(t["name"], t["scopes"]) for t in listed] == [
        ("laptop", ["market:read", "rentals:read", "search:read"])
    ]
    assert secret.startswith(listed[0]["hint"])

    taken = await _say(chat, "/mcp_token laptop")
    assert "Not made" in taken["text"]
    assert not TOKEN.search(taken["text"])
    unknown = await _say(chat, "/mcp_token phone admin:all")
    assert "don't know that scope" in unknown["text"]
    bad_name = await _say(chat, "/mcp_token <b>x</b>")
    assert "up to 40" in bad_name["text"]
    await _say(chat, "/mcp_token phone rentals:write search:read")

    tokens = await _say(chat, "/mcp_token")
    assert "laptop" in tokens["text"]
    assert "phone" in tokens["text"]
    assert not TOKEN.search(tokens["text"])  # never shown again
    await asyncio.sleep(1.1)  # the sandbox, like Telegram, limits edits of one chat
    await chat.press(tokens["message_id"], _buttons(tokens)["🗑 Revoke laptop"])
    await chat.handle(await chat.updates())
    [edited] = [m for m in await chat.bot_messages() if m["message_id"] == tokens["message_id"]]
    assert "laptop" not in edited["text"]
    assert list(_buttons(edited)) == ["🗑 Revoke phone"]

    revoked = await _say(chat, "/mcp_token revoke phone")
    assert "revoked" in revoked["text"]
    missing = await _say(chat, "/mcp_token revoke phone")
    assert "no live token" in missing["text"]
    assert (await person.get("/api/v1/mcp/tokens")).json() == []

"""Talking to the bot as a Telegram user, through the sandbox's user side."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

Message = dict[str, Any]


class SandboxUser:
    def __init__(self, http: httpx.AsyncClient, user_id: int) -> None:
        self.http = http
        self.id = user_id
        self.first_name = f"User{user_id}"

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, sandbox_url: str, user_id: int, bot_id: int | None = None
    ) -> AsyncIterator[SandboxUser]:
        """A user of the sandbox; with bot_id, the user talks to that bot."""
        params = {"bot_id": str(bot_id)} if bot_id is not None else {}
        async with httpx.AsyncClient(base_url=sandbox_url, params=params, timeout=10) as http:
            yield cls(http, user_id)

    async def send(self, text: str, **profile: Any) -> Message:
        response = await self.http.post(
            f"/sandbox/users/{self.id}/messages",
            json={"text": text, "first_name": self.first_name, **profile},
        )
        response.raise_for_status()
        return dict(response.json())

    async def press(self, message_id: int, data: str) -> Message:
        response = await self.http.post(
            f"/sandbox/users/{self.id}/callbacks", json={"message_id": message_id, "data": data}
        )
        response.raise_for_status()
        return dict(response.json())

    async def history(self) -> list[Message]:
        response = await self.http.get(f"/sandbox/chats/{self.id}/messages")
        response.raise_for_status()
        return list(response.json())

    async def bot_messages(self) -> list[Message]:
        return [m for m in await self.history() if m["from"] == "bot"]

    async def wait_for(
        self, condition: Callable[[list[Message]], bool], timeout_s: float = 15.0
    ) -> list[Message]:
        """Poll the chat until the bot's messages satisfy the condition."""
        deadline = time.monotonic() + timeout_s
        while True:
            messages = await self.bot_messages()
            if condition(messages):
                return messages
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the bot's messages were: {messages}")
            await asyncio.sleep(0.1)

    async def wait_for_reply(self, count: int = 1, timeout_s: float = 15.0) -> Message:
        """Wait until the bot has sent at least ``count`` messages; return the last."""
        messages = await self.wait_for(lambda ms: len(ms) >= count, timeout_s)
        return messages[-1]


def button_data(message: Message) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [
        button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]

"""An update acknowledged to Telegram is handled exactly once, whatever crashes."""

from __future__ import annotations

import asyncio
import time

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.bot.main import SECRET_HEADER
from concierge.bot.settings import SANDBOX_BOT_TOKEN, WEBHOOK_PATH
from tests.e2e.test_bot_flow import stored_user
from tests.support.sandbox import SandboxUser
from tests.support.stack import WEBHOOK_SECRET, Stack

BOT_ID = SANDBOX_BOT_TOKEN.split(":")[0]


def text_update(update_id: int, user_id: int, text: str) -> dict:
    person = {"id": user_id, "is_bot": False, "first_name": "Direct", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 1_000_000,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Direct"},
            "from": person,
            "text": text,
        },
    }


async def post_update(stack: Stack, update: dict, secret: str | None = WEBHOOK_SECRET) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{stack.url('bot')}{WEBHOOK_PATH}", json=update, headers=headers
        )
    return response.status_code


async def create_chat(user: SandboxUser) -> None:
    response = await user.http.post("/sandbox/users", json={"ids": [user.id]})
    response.raise_for_status()


async def pending_updates(stack: Stack) -> int:
    async with httpx.AsyncClient() as http:
        info = await http.get(f"{stack.url('sandbox')}/bot{SANDBOX_BOT_TOKEN}/getWebhookInfo")
    return int(info.json()["result"]["pending_update_count"])


async def eventually(check, timeout_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


class TestWebhook:
    async def test_an_update_delivered_twice_is_handled_once(
        self, stack: Stack, user: SandboxUser
    ) -> None:
        await create_chat(user)
        update = text_update(2_000_000_000 + user.id, user.id, "/help")
        assert await post_update(stack, update) == 200
        assert await post_update(stack, update) == 200
        await user.wait_for_reply(1)
        await asyncio.sleep(1.5)
        assert len(await user.bot_messages()) == 1

    async def test_wrong_or_missing_secret_is_403_and_stores_nothing(
        self, stack: Stack, user: SandboxUser, e2e_redis: Redis
    ) -> None:
        await create_chat(user)
        update_id = 2_100_000_000 + user.id
        update = text_update(update_id, user.id, "/help")
        assert await post_update(stack, update, secret="wrong") == 403
        assert await post_update(stack, update, secret=None) == 403
        assert not await e2e_redis.exists(f"tg:seen:{BOT_ID}:{update_id}")
        await asyncio.sleep(1)
        assert await user.bot_messages() == []

    async def test_unknown_update_types_are_acknowledged_and_ignored(
        self, stack: Stack, e2e_redis: Redis
    ) -> None:
        update = {"update_id": 2_200_000_001, "poll": {"id": "p", "question": "?", "options": []}}
        assert await post_update(stack, update) == 200

        async def drained() -> bool:
            groups = await e2e_redis.xinfo_groups(f"tg:updates:{BOT_ID}")
            return all(group["pending"] == 0 for group in groups)

        await eventually(drained)

    async def test_malformed_updates_are_refused(self, stack: Stack) -> None:
        async with httpx.AsyncClient() as http:
            url = f"{stack.url('bot')}{WEBHOOK_PATH}"
            headers = {SECRET_HEADER: WEBHOOK_SECRET, "content-type": "application/json"}
            for body in (b"{", b"[]", b'{"update_id": "x"}'):
                response = await http.post(url, content=body, headers=headers)
                assert response.status_code == 400, body

    async def test_an_update_carrying_nul_is_stored_like_any_other(self, stack: Stack) -> None:
        """Telegram relays what users type; refusing it (400) would make Telegram redeliver
        it forever and hold back the rest of that chat."""
        async with httpx.AsyncClient() as http:
            url = f"{stack.url('bot')}{WEBHOOK_PATH}"
            headers = {SECRET_HEADER: WEBHOOK_SECRET, "content-type": "application/json"}
            body = b'{"update_id": 990001, "t": "\\u0000 and \\\\u0000"}'
            response = await http.post(url, content=body, headers=headers)
            assert response.status_code == 200, response.text


class TestCrash:
    async def test_update_survives_a_bot_killed_before_handling(
        self, stack: Stack, user: SandboxUser, e2e_db: AsyncEngine
    ) -> None:
        # With api down, the bot stores the update, answers 200, and cannot finish it.
        stack.process("api").kill()
        try:
            await user.send("/start", language_code="en")

            async def delivered() -> bool:
                return await pending_updates(stack) == 0

            await eventually(delivered)
            stack.process("bot").kill()  # kill -9 while the update is mid-handling
            assert await user.bot_messages() == []
        finally:
            stack.process("api").start()
            stack.process("bot").start()
        welcome = await user.wait_for_reply(1, timeout_s=30)
        assert "Hello" in welcome["text"]
        assert (await stored_user(e2e_db, user.id) or {})["status"] == "onboarding"
        await asyncio.sleep(1)
        assert len(await user.bot_messages()) == 1

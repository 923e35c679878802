"""One chat's trouble is that chat's alone: a 429 on any path that shares Telegram's
limits (a reply, an edit, a callback answer, a notification) and a user tapping a button
ten times never hold back another user's reply.

Each test has Telegram (the sandbox) refuse one call to chat A with a 429 and
``retry_after=20``, then measures how long user B waits for the answer to ``/help``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.e2e.conftest import BOT_ID
from tests.e2e.figures import Publish
from tests.e2e.outbox import api_client, chat_texts, create_chats, eventually, notify, sandbox_stats
from tests.support.sandbox import SandboxUser
from tests.support.stack import Stack

RETRY_AFTER = 20
B_WAITS_AT_MOST_S = 1.0
APOLOGY = "Something went wrong"


async def inject(user: SandboxUser, **fault: Any) -> None:
    body = {"error_code": 429, "retry_after": RETRY_AFTER, "bot_id": BOT_ID, **fault}
    (await user.http.post("/sandbox/faults", json=body)).raise_for_status()


async def fault_used(user: SandboxUser) -> None:
    """Wait until the bot has run into the injected fault."""

    async def used() -> bool:
        return (await user.http.get("/sandbox/faults")).json() == []

    await eventually(used)


async def first_reply_delay(user: SandboxUser) -> float:
    """Seconds from a new user's /help to the bot's answer."""
    started = time.monotonic()
    await user.send("/help", language_code="en")
    await user.wait_for_reply(timeout_s=30)
    return time.monotonic() - started


async def menu_of(user: SandboxUser) -> dict[str, Any]:
    await user.send("/start", language_code="en")
    return await user.wait_for_reply()


async def tap(user: SandboxUser, message_id: int, data: str) -> httpx.Response:
    return await user.http.post(
        f"/sandbox/users/{user.id}/callbacks", json={"message_id": message_id, "data": data}
    )


class TestRateLimitedChat:
    async def test_a_429_on_a_reply_delays_only_that_chat(
        self, stack: Stack, user: SandboxUser, other_user: SandboxUser, figure: Publish
    ) -> None:
        await create_chats(stack, [user.id], BOT_ID)
        await inject(user, chat_id=user.id, method="sendMessage")
        limited_at = time.monotonic()
        await user.send("/help", language_code="en")
        await fault_used(user)

        delay = await first_reply_delay(other_user)
        figure(f"item 6 (reply): chat B answered {delay:.2f} s after writing")
        assert delay < B_WAITS_AT_MOST_S

        reply = await user.wait_for_reply(timeout_s=RETRY_AFTER + 20)
        assert "Help" in reply["text"]  # A's answer came, after its wait
        assert time.monotonic() - limited_at >= RETRY_AFTER - 1
        assert not any(APOLOGY in m["text"] for m in await user.bot_messages())

    async def test_a_429_on_an_edit_delays_only_that_chat(
        self, user: SandboxUser, other_user: SandboxUser, figure: Publish
    ) -> None:
        menu = await menu_of(user)
        await inject(user, chat_id=user.id, method="editMessageText")
        assert (await tap(user, menu["message_id"], "menu:help")).status_code == 200
        await fault_used(user)

        delay = await first_reply_delay(other_user)
        figure(f"item 6 (edit): chat B answered {delay:.2f} s after writing")
        assert delay < B_WAITS_AT_MOST_S

    async def test_a_429_on_a_callback_answer_delays_nobody(
        self, user: SandboxUser, other_user: SandboxUser, figure: Publish
    ) -> None:
        menu = await menu_of(user)
        await inject(user, chat_id=user.id, method="answerCallbackQuery")
        assert (await tap(user, menu["message_id"], "menu:help")).status_code == 200
        await fault_used(user)

        delay = await first_reply_delay(other_user)
        figure(f"item 6 (callback answer): chat B answered {delay:.2f} s after writing")
        assert delay < B_WAITS_AT_MOST_S
        # The press itself was handled at once: the answer is not worth a retry.
        await user.wait_for(lambda ms: "Help" in ms[-1]["text"], timeout_s=5)

    async def test_a_429_on_a_notification_delays_no_reply(
        self, stack: Stack, user: SandboxUser, other_user: SandboxUser, figure: Publish
    ) -> None:
        await create_chats(stack, [user.id], BOT_ID)
        await inject(user, chat_id=user.id, method="sendMessage")
        async with api_client(stack) as api:
            await notify(api, user.id, f"e2e:isolation:{user.id}", "A notification")
        await fault_used(user)

        delay = await first_reply_delay(other_user)
        figure(f"item 6 (notification): chat B answered {delay:.2f} s after writing")
        assert delay < B_WAITS_AT_MOST_S
        async with httpx.AsyncClient(base_url=stack.url("sandbox")) as sandbox:
            assert await chat_texts(sandbox, user.id) == []  # A waits out its retry_after


class TestDoubleTap:
    async def test_ten_taps_make_one_edit_and_no_apology(
        self, stack: Stack, user: SandboxUser, other_user: SandboxUser, figure: Publish
    ) -> None:
        menu = await menu_of(user)
        before = await sandbox_stats(stack, BOT_ID)
        # Telegram takes a second over the first edit: the taps come while the old keyboard
        # is still on screen, so all ten reach the bot.
        slow = {"chat_id": user.id, "method": "editMessageText", "delay_s": 1.0, "bot_id": BOT_ID}
        (await user.http.post("/sandbox/faults", json=slow)).raise_for_status()

        async def taps() -> list[httpx.Response]:  # ten taps at once, as a shaking thumb does
            return list(
                await asyncio.gather(
                    *(tap(user, menu["message_id"], "menu:help") for _ in range(10))
                )
            )

        async def other() -> float:
            await asyncio.sleep(0.1)
            return await first_reply_delay(other_user)

        pressed, delay = await asyncio.gather(taps(), other())
        figure(f"item 15: chat B answered {delay:.2f} s after writing, during ten taps")
        accepted = [r.json()["callback_query_id"] for r in pressed if r.status_code == 200]
        assert len(accepted) == 10, [(r.status_code, r.text) for r in pressed]

        await user.wait_for(lambda ms: "Help" in ms[-1]["text"])
        await asyncio.sleep(3)  # whatever the other taps would do, they have done it
        messages = await user.bot_messages()
        assert [m["message_id"] for m in messages] == [menu["message_id"]]  # no apology
        assert "Help" in messages[0]["text"]
        after = await sandbox_stats(stack, BOT_ID)
        assert after["edits"] - before["edits"] == 1
        edit_calls = after["calls"].get("editMessageText", 0)
        assert edit_calls - before["calls"].get("editMessageText", 0) == 1  # taps collapsed
        for query_id in accepted:  # every tap was answered at once (the spinner stopped)
            status = (await user.http.get(f"/sandbox/callbacks/{query_id}")).json()
            assert status["answered"], status
            assert status["answered_after_s"] < 1.0, status
        assert delay < B_WAITS_AT_MOST_S

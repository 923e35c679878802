"""Streaming a reply into a chat of the sandbox's Bot API emulator: drafts in a private
chat, throttled edits in a group, the final text always delivered, typing while tools run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from concierge.bot.streaming import ReplyStream, split
from tests.services.sandbox.conftest import TOKEN, Sandbox, StartSandbox, start_sandbox

__all__ = ["start_sandbox"]

USER = 5001
GROUP = -1001234


@pytest.fixture
async def sandbox(start_sandbox: StartSandbox) -> Sandbox:
    return await start_sandbox()


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{sandbox.url}/bot") as client:
        yield client


async def in_group(sandbox: Sandbox, text: str) -> None:
    response = await sandbox.http.post("/sandbox/groups", json={"chat_id": GROUP, "title": "Club"})
    assert response.status_code == 200, response.text
    await sandbox.user_says(USER, text, chat_id=GROUP)


async def calls(sandbox: Sandbox, method: str) -> int:
    return int((await sandbox.stats())["calls"].get(method, 0))


class FakeClock:
    """Time the test moves (the stream's throttle reads it)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def bot_texts(history: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in history if m["from"] == "bot"]


async def test_a_private_chat_gets_drafts_then_the_message(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.user_says(USER, "find Arrival")
    clock = FakeClock()
    stream = ReplyStream(bot, USER, private=True, clock=clock)
    for n in range(40):  # 40 pieces over 2 s: drafts at most every 0.5 s
        await stream.add(f"word{n} ")
        clock.now += 0.05
    assert 1 <= await calls(sandbox, "sendMessageDraft") <= 5
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("Add", callback_data="m:add:x")]])
    await stream.finish(markup=buttons)
    texts = bot_texts(await sandbox.history(USER))
    assert texts[-1] == " ".join(f"word{n}" for n in range(40))


async def test_a_group_gets_throttled_edits_and_the_final_text(sandbox: Sandbox, bot: Bot) -> None:
    await in_group(sandbox, "find Arrival")
    clock = FakeClock()
    stream = ReplyStream(bot, GROUP, private=False, clock=clock)
    for n in range(100):  # 100 pieces over 10 s: an edit at most every 3 s
        await stream.add(f"w{n} ")
        clock.now += 0.1
    assert await calls(sandbox, "sendMessage") == 1
    assert await calls(sandbox, "editMessageText") <= 4
    await stream.finish()
    history = await sandbox.history(GROUP)
    assert bot_texts(history)[-1] == " ".join(f"w{n}" for n in range(100))
    assert await calls(sandbox, "sendMessageDraft") == 0
    assert (await sandbox.stats())["too_many_requests"]["total"] == 0


async def test_a_final_text_that_is_already_shown_is_still_done(sandbox: Sandbox, bot: Bot) -> None:
    await in_group(sandbox, "hi")
    stream = ReplyStream(bot, GROUP, private=False)
    await stream.add("Hello.")
    await stream.finish("Hello.")  # the edit changes nothing: Telegram's 400 is success
    assert bot_texts(await sandbox.history(GROUP)) == ["Hello."]


async def test_long_text_continues_in_further_messages(sandbox: Sandbox, bot: Bot) -> None:
    await sandbox.user_says(USER, "tell me everything")
    text = ("word " * 2000).strip()
    stream = ReplyStream(bot, USER, private=True)
    await stream.add(text)
    await stream.finish()
    texts = bot_texts(await sandbox.history(USER))
    assert len(texts) == 3
    assert all(len(t) <= 4096 for t in texts)
    assert " ".join(texts) == text
    assert split("") == []


async def test_typing_while_tools_run_at_most_every_four_seconds(
    sandbox: Sandbox, bot: Bot
) -> None:
    await sandbox.user_says(USER, "find")
    clock = FakeClock()
    stream = ReplyStream(bot, USER, private=True, clock=clock)
    for _ in range(10):
        await stream.tools_running()
        clock.now += 1.0
    assert await calls(sandbox, "sendChatAction") == 3  # at 0, 4 and 8 s

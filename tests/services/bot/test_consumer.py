"""The update consumer over a real Redis stream and the real Application (in-process
sandbox; api unreachable): per-chat lanes, retries while the update lives, presses
answered on reading, and what the error handler does with each kind of failure."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from concierge.bot.consumer import RetryPolicy, UpdateConsumer, received_at
from concierge.bot.inbox import UpdateInbox
from concierge.streams import StreamEntry, StreamGroup
from tests.services.bot.conftest import Chat

STREAM = "test:updates"
APOLOGY = "Something went wrong"


class Running:
    """A consumer reading STREAM in the background, fed through the inbox."""

    def __init__(self, chat: Chat, redis: Redis, policy: RetryPolicy) -> None:
        self.inbox = UpdateInbox(redis, STREAM, 1, 60)
        self.group = StreamGroup(redis, STREAM, "bot", "test")
        self.consumer = UpdateConsumer(self.group, chat.application, chat.book, policy)
        self.task = asyncio.create_task(self.consumer.run())

    async def deliver(self, chat: Chat) -> None:
        """What the sandbox has for the bot goes into the inbox, as the webhook would."""
        for update in await chat.updates():
            await self.inbox.accept(update.to_dict())

    async def stop(self) -> None:
        self.consumer.stop()
        await asyncio.wait_for(self.task, 10)


@pytest.fixture
async def running(redis: Redis) -> AsyncIterator[Any]:
    started: list[Running] = []

    def start(chat: Chat, lifetime_s: float = 3600, max_backoff_s: float = 0.2) -> Running:
        started.append(Running(chat, redis, RetryPolicy(lifetime_s, max_backoff_s)))
        return started[-1]

    yield start
    for consumer in started:
        await consumer.stop()


@pytest.fixture
async def hanging_api() -> AsyncIterator[str]:
    """An api that accepts connections and never answers."""

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.close()


async def eventually(check: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


class TestLanes:
    async def test_a_chat_retrying_holds_back_nobody(
        self, start_chat: Any, running: Any, redis: Redis
    ) -> None:
        stuck = await start_chat()
        other = await stuck.another()
        consumer = running(stuck)
        await stuck.write("/start")  # registration needs api, which is away
        await consumer.deliver(stuck)
        await asyncio.sleep(0.5)  # a few tries and waits
        await other.write("/help")
        started = time.monotonic()
        await consumer.deliver(other)

        async def answered() -> bool:
            return bool(await other.bot_messages())

        await eventually(answered)
        assert time.monotonic() - started < 1.0
        assert await stuck.bot_messages() == []  # retrying, no apology
        assert await consumer.group.pending_count() == 1  # only the stuck update is left
        await consumer.stop()
        assert await consumer.group.pending_count() == 1  # still there for the next process

    async def test_many_chats_retrying_keep_no_new_update_waiting(
        self, start_chat: Any, running: Any, hanging_api: str
    ) -> None:
        """api hangs: each try of a chat that needs it holds a slot for a second."""
        first = await start_chat(api_url=hanging_api)
        stuck = [first, *[await first.another() for _ in range(11)]]
        consumer = running(first, max_backoff_s=0.1)
        for chat in stuck:
            await chat.write("/start")
            await consumer.deliver(chat)
        await asyncio.sleep(2.5)  # every slot for retries is busy, more tries are waiting
        other = await first.another()
        await other.write("/help")
        started = time.monotonic()
        await consumer.deliver(other)

        async def answered() -> bool:
            return bool(await other.bot_messages())

        await eventually(answered)
        assert time.monotonic() - started < 1.0

    async def test_a_chats_updates_stay_in_order(self, start_chat: Any, running: Any) -> None:
        chat = await start_chat()
        consumer = running(chat)
        for command in ("/help", "/menu", "/help", "/language"):
            await chat.write(command)
        await consumer.deliver(chat)

        async def all_four() -> bool:
            return len(await chat.bot_messages()) == 4

        await eventually(all_four)
        texts = [m["text"] for m in await chat.bot_messages()]
        assert ["Help" in texts[0], "Main menu" in texts[1], "Help" in texts[2]] == [True] * 3
        assert "language" in texts[3].lower()

    async def test_an_update_past_its_lifetime_gets_the_apology(
        self, start_chat: Any, running: Any
    ) -> None:
        chat = await start_chat()
        consumer = running(chat, lifetime_s=1, max_backoff_s=0.2)
        await chat.write("/start")
        await consumer.deliver(chat)

        async def apologised() -> bool:
            return any(APOLOGY in m["text"] for m in await chat.bot_messages())

        await eventually(apologised, timeout_s=10)
        assert await consumer.group.pending_count() == 0


class TestPresses:
    async def test_a_press_is_answered_on_reading_even_behind_a_busy_lane(
        self, start_chat: Any, running: Any
    ) -> None:
        chat = await start_chat()
        menu = await chat.send("/menu")  # handled directly, before the consumer runs
        consumer = running(chat)
        await chat.write("/start")  # the lane retries this: api is away
        query_id = await chat.press(menu["message_id"], "menu:help")
        await consumer.deliver(chat)

        async def answered() -> bool:
            status = (await chat.http.get(f"/sandbox/callbacks/{query_id}")).json()
            return bool(status["answered"])

        await eventually(answered, timeout_s=1.0)
        assert "Main menu" in (await chat.bot_messages())[0]["text"]  # not handled yet


class TestErrorHandler:
    async def test_api_away_is_retried_while_the_update_lives(self, start_chat: Any) -> None:
        chat = await start_chat()
        await chat.write("/start")
        (update,) = await chat.updates()
        chat.book.begin(update.update_id, time.time() + 60)
        await chat.handle([update])
        assert chat.book.retry_after == {update.update_id: 0.0}
        assert await chat.bot_messages() == []

    async def test_once_the_update_is_too_old_the_user_gets_the_apology(
        self, start_chat: Any
    ) -> None:
        chat = await start_chat()
        await chat.write("/start")
        (update,) = await chat.updates()
        chat.book.begin(update.update_id, time.time() - 1)
        await chat.handle([update])
        assert chat.book.failed == {update.update_id}
        assert APOLOGY in (await chat.bot_messages())[0]["text"]

    async def test_telegrams_429_is_retried_after_its_wait(self, start_chat: Any) -> None:
        chat = await start_chat()
        fault = {"error_code": 429, "retry_after": 7, "chat_id": chat.user_id}
        (await chat.http.post("/sandbox/faults", json=fault)).raise_for_status()
        await chat.write("/help")
        (update,) = await chat.updates()
        chat.book.begin(update.update_id, time.time() + 60)
        await chat.handle([update])
        assert chat.book.retry_after == {update.update_id: 7.0}

    async def test_a_400_is_not_retried(self, start_chat: Any) -> None:
        chat = await start_chat()
        fault = {"error_code": 400, "description": "Bad Request: chat not found",
                 "chat_id": chat.user_id, "method": "sendMessage"}  # fmt: skip
        (await chat.http.post("/sandbox/faults", json=fault)).raise_for_status()
        await chat.write("/help")
        (update,) = await chat.updates()
        chat.book.begin(update.update_id, time.time() + 60)
        await chat.handle([update])
        assert chat.book.failed == {update.update_id}


class TestPolicy:
    def test_backoff_is_capped(self) -> None:
        policy = RetryPolicy(lifetime_s=86_400, max_backoff_s=10)
        assert all(0 <= policy.backoff_s(1) <= 0.5 for _ in range(100))
        assert all(0 <= policy.backoff_s(40) <= 10 for _ in range(100))

    def test_an_entry_says_when_it_was_stored(self) -> None:
        assert received_at(StreamEntry("1712345678901-3", {})) == 1712345678.901

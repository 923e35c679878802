"""The relay's promises, on a stack of its own: it can be killed at any point and nothing
is lost; a 429 pauses one chat only; a flooding user is told once and others are served.

This module's stack has its own database and Redis db (its relay must be the only one
claiming from that outbox) and no per-private-chat limit in the sandbox, so 21 quick
replies to one chat do not wait on Telegram's 1 message/s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from concierge.embedded import EmbeddedPostgres, EmbeddedRedis, ServiceProcess
from tests.e2e.conftest import BOT_ID
from tests.e2e.outbox import (
    api_client,
    chat_texts,
    create_chats,
    eventually,
    notify,
    outbox_rows,
    statuses,
)
from tests.support.infra import migrated_database
from tests.support.sandbox import SandboxUser
from tests.support.stack import Stack

REDIS_DB = 4  # db 0 is flushed by other tests, db 1 belongs to the shared e2e stack
LEASE_S = "8"


@pytest.fixture(scope="module")
def relay_stack(
    postgres: EmbeddedPostgres, redis_server: EmbeddedRedis, scratch: Path
) -> Iterator[Stack]:
    database_url = migrated_database(postgres, "e2e_relay")
    env = {"SANDBOX_PRIVATE_CHAT_BURST": "0", "BOT_NOTIFY_LEASE_S": LEASE_S}
    stack = Stack(database_url, f"{redis_server.url}?db={REDIS_DB}", scratch / "relay-logs", env)
    try:
        yield stack.start()
    finally:
        stack.stop()


@pytest.fixture
async def relay_db(relay_stack: Stack) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(relay_stack.database_url)
    yield engine
    await engine.dispose()


def restart_bot(stack: Stack, **env: str) -> ServiceProcess:
    """Stop the bot (if it still runs) and start it again with these settings."""
    stack.processes.pop("bot").stop()
    log = stack.logs / "bot.log" if stack.logs else None
    bot = ServiceProcess("bot", stack.ports["bot"], {**stack.env(), **env}, log)
    stack.processes["bot"] = bot
    return bot.start()


async def first_arrivals(
    stack: Stack, chats: list[int], started: float, timeout_s: float = 15
) -> dict[int, float]:
    """Seconds after ``started`` at which each chat saw its first message from the bot."""
    arrived: dict[int, float] = {}
    async with httpx.AsyncClient(base_url=stack.url("sandbox")) as sandbox:
        while len(arrived) < len(chats):
            assert time.monotonic() - started < timeout_s, f"only {arrived} arrived"
            for chat in set(chats) - arrived.keys():
                if await chat_texts(sandbox, chat):
                    arrived[chat] = time.monotonic() - started
            await asyncio.sleep(0.05)
    return arrived


class TestRateLimited:
    async def test_a_429_pauses_that_chat_only_and_uses_no_attempt(
        self, relay_stack: Stack, relay_db: AsyncEngine
    ) -> None:
        paused, others = 842_001, list(range(842_101, 842_111))
        await create_chats(relay_stack, [paused, *others], BOT_ID)
        fault = {"error_code": 429, "retry_after": 5, "chat_id": paused,
                 "method": "sendMessage", "bot_id": BOT_ID}  # fmt: skip
        async with httpx.AsyncClient(base_url=relay_stack.url("sandbox")) as sandbox:
            (await sandbox.post("/sandbox/faults", json=fault)).raise_for_status()
        started = time.monotonic()
        async with api_client(relay_stack) as api:
            await notify(api, paused, "limited:first")
            await notify(api, paused, "limited:second")
            for chat in others:
                await notify(api, chat, f"limited:other:{chat}")
        arrived = await first_arrivals(relay_stack, [paused, *others], started)

        assert max(arrived[chat] for chat in others) < 2.5  # the others did not wait
        assert arrived[paused] >= 5.0  # that chat waited out its retry_after
        async with httpx.AsyncClient(base_url=relay_stack.url("sandbox")) as sandbox:

            async def both() -> bool:
                return len(await chat_texts(sandbox, paused)) == 2

            await eventually(both)
            assert await chat_texts(sandbox, paused) == ["limited:first", "limited:second"]
        first = (await outbox_rows(relay_db, "limited:first"))[0]
        assert first["attempts"] == 0


class TestFlood:
    async def test_a_flooding_user_is_told_once_and_others_are_answered(
        self, relay_stack: Stack
    ) -> None:
        url = relay_stack.url("sandbox")
        async with (
            SandboxUser.connect(url, 843_001, BOT_ID) as flooder,
            SandboxUser.connect(url, 843_002, BOT_ID) as other,
        ):
            for n in range(60):
                await flooder.send(f"/menu {n}")
            await other.send("/help")
            assert "Help" in (await other.wait_for_reply())["text"]
            await flooder.wait_for(lambda ms: len(ms) >= 21, timeout_s=20)
            await asyncio.sleep(1.5)  # nothing more comes
            replies = [m["text"] for m in await flooder.bot_messages()]
        assert len(replies) == 21
        assert all("Main menu" in reply for reply in replies[:20])
        assert "faster than I can keep up" in replies[20]


class TestCrashes:
    async def test_killed_after_claiming_and_after_sending_nothing_is_lost(
        self, relay_stack: Stack, relay_db: AsyncEngine
    ) -> None:
        claimed = list(range(841_001, 841_007))
        sent = list(range(841_101, 841_111))
        await create_chats(relay_stack, [*claimed, *sent], BOT_ID)
        relay_stack.processes["bot"].stop()

        # 1. A relay sending one message a second claims all six at once; it is killed
        #    once the first is sent and reported: the others are claimed, not sent.
        async with api_client(relay_stack) as api:
            for chat in claimed:
                await notify(api, chat, f"crash:claimed:{chat}")
        bot = restart_bot(relay_stack, BOT_MESSAGES_PER_SECOND="1")

        async def one_reported() -> bool:
            return "sent" in await statuses(relay_db, "crash:claimed:")

        await eventually(one_reported)
        bot.kill()
        assert (await statuses(relay_db, "crash:claimed:")).count("leased") >= 4

        # 2. A relay reporting once a minute sends ten and is killed before it reports.
        async with api_client(relay_stack) as api:
            for chat in sent:
                await notify(api, chat, f"crash:sent:{chat}")
        bot = restart_bot(relay_stack, BOT_NOTIFY_REPORT_INTERVAL_S="60")
        async with httpx.AsyncClient(base_url=relay_stack.url("sandbox")) as sandbox:

            async def all_sent() -> bool:
                return all([await chat_texts(sandbox, chat) for chat in sent])

            await eventually(all_sent)
        bot.kill()
        assert set(await statuses(relay_db, "crash:sent:")) == {"leased"}

        # 3. A healthy relay takes both up again when their leases run out.
        restart_bot(relay_stack)

        async def all_reported() -> bool:
            return set(await statuses(relay_db, "crash:")) == {"sent"}

        await eventually(all_reported, timeout_s=30)
        async with httpx.AsyncClient(base_url=relay_stack.url("sandbox")) as sandbox:
            copies = {chat: len(await chat_texts(sandbox, chat)) for chat in claimed + sent}
        # None lost; none sent again: the relay killed before reporting noted each send
        # in the sent ledger, so its successor reports them instead of sending them again.
        # Only a kill in the instant between Telegram's answer and the note could send one
        # twice.
        assert min(copies.values()) == 1, copies
        assert sum(copies.values()) - len(copies) <= 1, copies

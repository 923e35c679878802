"""One bot process per token: the lock in Redis (the processes themselves are in
tests/e2e/test_one_bot_per_token.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from redis.asyncio import Redis

from concierge.bot.instance import AnotherBotRunning, Holder, InstanceLock, bot_id_of

TTL_S = 1.0


def lock(
    redis: Redis,
    *,
    host: str = "here",
    pid: int | None = None,
    on_lost: Callable[[], None] | None = None,
) -> InstanceLock:
    return InstanceLock(redis, "42", TTL_S, host=host, pid=pid, on_lost=on_lost)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


class TestInstanceLock:
    def test_the_bot_id_is_the_tokens_first_part(self) -> None:
        assert bot_id_of("7000000001:Secret") == "7000000001"

    async def test_a_second_holder_is_refused_once_the_first_proves_alive(
        self, redis: Redis
    ) -> None:
        first = lock(redis, host="elsewhere", pid=1)
        await first.acquire()
        keeping = asyncio.create_task(first.keep())
        started = time.monotonic()
        try:
            with pytest.raises(AnotherBotRunning, match=r"bot 42 \(pid 1 on elsewhere\)"):
                await lock(redis).acquire()
        finally:
            first.stop()
            await keeping
        assert TTL_S <= time.monotonic() - started < TTL_S + 2  # waited for a lapse that never came

    async def test_a_lock_left_by_a_process_elsewhere_lapses(self, redis: Redis) -> None:
        await lock(redis, host="elsewhere", pid=1).acquire()  # then never refreshed
        started = time.monotonic()
        await lock(redis).acquire()
        assert time.monotonic() - started <= TTL_S + 1

    async def test_a_dead_process_on_this_machine_is_replaced_at_once(self, redis: Redis) -> None:
        gone = lock(redis, pid=dead_pid())
        await gone.acquire()
        started = time.monotonic()
        successor = lock(redis)
        await successor.acquire()
        assert time.monotonic() - started < 0.5
        holder = Holder.decode(await redis.get("bot:instance:42"))
        assert holder == successor.me

    async def test_release_frees_it_for_the_next(self, redis: Redis) -> None:
        first = lock(redis, host="elsewhere", pid=1)
        await first.acquire()
        await first.release()
        started = time.monotonic()
        await lock(redis).acquire()
        assert time.monotonic() - started < 0.5

    async def test_a_holder_whose_lock_was_taken_stops_itself(self, redis: Redis) -> None:
        lost: list[bool] = []
        first = lock(redis, host="elsewhere", pid=1, on_lost=lambda: lost.append(True))
        await first.acquire()
        await redis.set("bot:instance:42", Holder("other", 2, 0.0).encode())  # it stalled
        await asyncio.wait_for(first.keep(), 5)
        assert lost == [True]

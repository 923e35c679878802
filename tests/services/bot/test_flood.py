"""Incoming flood control on real Redis: a moving window per user."""

from __future__ import annotations

from redis.asyncio import Redis

from concierge.bot.flood import FloodGuard, Verdict
from tests.services.bot.notify.test_pacing import FakeClock


async def verdicts(guard: FloodGuard, user_id: int, first: int, count: int) -> list[Verdict]:
    return [(await guard.check(user_id, str(n))).verdict for n in range(first, first + count)]


class TestFloodGuard:
    async def test_answers_the_limit_then_one_slow_down_then_silence(self, redis: Redis) -> None:
        guard = FloodGuard(redis, limit=20, window_s=60, clock=FakeClock())
        got = await verdicts(guard, 1, 0, 60)
        assert got == [Verdict.ANSWER] * 20 + [Verdict.SLOW_DOWN] + [Verdict.IGNORE] * 39

    async def test_other_users_are_not_affected(self, redis: Redis) -> None:
        guard = FloodGuard(redis, limit=3, window_s=60, clock=FakeClock())
        await verdicts(guard, 1, 0, 10)
        assert await verdicts(guard, 2, 100, 3) == [Verdict.ANSWER] * 3

    async def test_answers_again_once_the_window_moves_on(self, redis: Redis) -> None:
        clock = FakeClock()
        guard = FloodGuard(redis, limit=3, window_s=60, clock=clock)
        await verdicts(guard, 1, 0, 3)
        clock.now += 30
        check = await guard.check(1, "3")
        assert check.verdict == Verdict.SLOW_DOWN
        assert check.wait_s == 30
        clock.now += 30.001  # the first three leave the window
        assert await verdicts(guard, 1, 4, 4) == [Verdict.ANSWER] * 3 + [Verdict.SLOW_DOWN]

    async def test_the_same_update_again_gets_the_same_verdict(self, redis: Redis) -> None:
        guard = FloodGuard(redis, limit=2, window_s=60, clock=FakeClock())
        assert await verdicts(guard, 1, 0, 3) == [Verdict.ANSWER] * 2 + [Verdict.SLOW_DOWN]
        # A handler retried after a crash sees the update as before.
        assert (await guard.check(1, "1")).verdict == Verdict.ANSWER
        assert (await guard.check(1, "2")).verdict == Verdict.SLOW_DOWN
        assert (await guard.check(1, "3")).verdict == Verdict.IGNORE

    async def test_keys_expire(self, redis: Redis) -> None:
        guard = FloodGuard(redis, limit=1, window_s=60, clock=FakeClock())
        await verdicts(guard, 1, 0, 2)
        assert 0 < await redis.pttl("bot:flood:1") <= 60_000
        assert 0 < await redis.pttl("bot:flood:1:told") <= 60_000

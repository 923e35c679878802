"""The limiters on a fake clock: bursts, refill, moving windows and retry_after."""

from __future__ import annotations

from concierge.sandbox.settings import SandboxSettings
from concierge.sandbox.telegram.limits import MovingWindow, SendLimiter, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: FakeClock, **overrides) -> SendLimiter:
    return SendLimiter(SandboxSettings(_env_file=None, **overrides), clock)  # type: ignore[call-arg]


class TestTokenBucket:
    def test_burst_then_one_per_second(self):
        bucket = TokenBucket(3, 1.0, now=0.0)
        for _ in range(3):
            assert bucket.wait_time(0.0) == 0
            bucket.take(0.0)
        assert bucket.wait_time(0.0) == 1.0
        assert bucket.wait_time(0.5) == 0.5
        assert bucket.wait_time(1.0) == 0


class TestMovingWindow:
    def test_waits_until_the_oldest_leaves_the_window(self):
        window = MovingWindow(2, 60.0)
        window.take(0.0)
        window.take(10.0)
        assert window.wait_time(20.0) == 40.0
        assert window.wait_time(60.0) == 0


class TestSendLimiter:
    def test_private_chat_burst_and_retry_after(self):
        clock = FakeClock()
        limits = limiter(clock)
        assert [limits.acquire(42) for _ in range(3)] == [None, None, None]
        refusal = limits.acquire(42)
        assert refusal is not None
        assert (refusal.reason, refusal.retry_after) == ("private_chat", 1)
        assert limits.acquire(43) is None, "another chat is not held back"
        clock.now += 1.0
        assert limits.acquire(42) is None

    def test_group_twenty_per_minute(self):
        clock = FakeClock()
        limits = limiter(clock)
        for _ in range(20):
            assert limits.acquire(-100) is None
            clock.now += 0.1
        refusal = limits.acquire(-100)
        assert refusal is not None
        assert refusal.reason == "group_chat"
        assert refusal.retry_after == 58  # the first send leaves the window 58 s from now
        clock.now += 58
        assert limits.acquire(-100) is None

    def test_thirty_per_second_across_chats(self):
        clock = FakeClock()
        limits = limiter(clock)
        assert all(limits.acquire(chat) is None for chat in range(1, 31))
        refusal = limits.acquire(31)
        assert refusal is not None
        assert (refusal.reason, refusal.retry_after) == ("global", 1)

    def test_refused_calls_take_nothing(self):
        clock = FakeClock()
        limits = limiter(clock, global_limit=2)
        assert limits.acquire(1) is None
        assert limits.acquire(2) is None
        assert limits.acquire(1) is not None
        clock.now += 1.0
        assert limits.acquire(1) is None

    def test_zero_switches_a_limit_off(self):
        clock = FakeClock()
        limits = limiter(clock, private_chat_burst=0, global_limit=0)
        assert all(limits.acquire(7) is None for _ in range(500))

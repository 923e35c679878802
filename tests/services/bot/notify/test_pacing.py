"""The global budget and the per-chat spacing, on a clock the test moves."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from telegram.error import RetryAfter

from concierge.bot.notify.pacing import (
    PACED,
    ChatPacer,
    DeliveryPacing,
    PacedRateLimiter,
    SendBudget,
    counts_as_message,
)
from concierge.bot.retry_after import seconds_to_wait


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send_times(
    budget: SendBudget, clock: FakeClock, count: int, late_s: float | list[float] = 0.0
) -> list[float]:
    """When ``count`` back-to-back senders send, each waking ``late_s`` after its slot."""
    lateness = late_s if isinstance(late_s, list) else [late_s] * count
    times = []
    for late in lateness:
        slot = budget.reserve()
        clock.now = max(clock.now, slot) + late
        budget.settle(slot)
        times.append(clock.now)
    return times


def most_in_any_window(times: list[float], window_s: float = 1.0) -> int:
    return max(sum(1 for t in times if start - window_s < t <= start) for start in times)


class TestSendBudget:
    def test_the_first_send_goes_at_once(self) -> None:
        clock = FakeClock()
        budget = SendBudget(29, clock=clock)
        assert budget.reserve() == clock.now

    def test_sends_are_spaced_evenly(self) -> None:
        clock = FakeClock()
        budget = SendBudget(25, clock=clock)
        times = send_times(budget, clock, 50)
        gaps = {round(b - a, 6) for a, b in itertools.pairwise(times)}
        assert gaps == {0.04}

    def test_a_little_lateness_keeps_the_rate(self) -> None:
        clock = FakeClock()
        budget = SendBudget(29, clock=clock)
        times = send_times(budget, clock, 291, late_s=0.002)  # each wakes 2 ms late
        assert (times[-1] - times[0]) == pytest.approx(10.0, abs=0.01)

    @pytest.mark.parametrize("late_s", [0.0, 0.001, 0.004, 0.02, 0.1])
    def test_never_more_than_30_in_any_second(self, late_s: float) -> None:
        clock = FakeClock()
        budget = SendBudget(29, clock=clock)
        assert most_in_any_window(send_times(budget, clock, 300, late_s)) <= 30

    def test_a_stalled_send_is_not_followed_closely(self) -> None:
        clock = FakeClock()
        budget = SendBudget(29, clock=clock)
        stalls = [0.0] * 40 + [0.03] + [0.0] * 40  # one send goes out 30 ms late
        times = send_times(budget, clock, len(stalls), stalls)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 1 / 29 - 1e-9
        assert most_in_any_window(times) <= 29

    @pytest.mark.parametrize("seed", range(5))
    def test_random_stalls_never_make_30_in_a_second(self, seed: int) -> None:
        rng = random.Random(seed)
        clock = FakeClock()
        budget = SendBudget(29, clock=clock)
        stalls = [rng.choice([0.0, 0.0, 0.001, 0.004, 0.02, 0.05]) for _ in range(600)]
        assert most_in_any_window(send_times(budget, clock, 600, stalls)) <= 30

    def test_an_idle_spell_is_not_a_burst(self) -> None:
        clock = FakeClock()
        budget = SendBudget(10, clock=clock)
        send_times(budget, clock, 5)
        clock.now += 60
        times = send_times(budget, clock, 5)
        assert times[1] - times[0] == pytest.approx(0.1)

    async def test_acquire_waits_for_the_slot(self) -> None:
        budget = SendBudget(50)
        started = time.monotonic()
        for _ in range(11):
            await budget.acquire()
        assert 0.19 <= time.monotonic() - started < 0.4

    async def test_concurrent_callers_take_turns(self) -> None:
        budget = SendBudget(50)
        started = time.monotonic()
        await asyncio.gather(*(budget.acquire() for _ in range(11)))
        assert 0.19 <= time.monotonic() - started < 0.4


class TestChatPacer:
    def test_private_and_group_intervals(self) -> None:
        clock = FakeClock()
        pacer = ChatPacer(1.05, 3.15, clock)
        assert pacer.ready_at(42) == 0
        pacer.note_sent(42)
        pacer.note_sent(-100123)
        assert pacer.ready_at(42) == pytest.approx(clock.now + 1.05)
        assert pacer.ready_at(-100123) == pytest.approx(clock.now + 3.15)
        assert pacer.ready_at(43) == 0

    def test_the_interval_runs_again_from_telegrams_answer(self) -> None:
        """A send held up on its way reached Telegram late: the next waits a full interval
        from the answer, not from when the held-up one left."""
        clock = FakeClock()
        pacer = ChatPacer(1.05, 3.15, clock)
        pacer.note_sent(42)
        clock.now += 0.4  # the request's way there and back
        pacer.note_answered(42)
        assert pacer.ready_at(42) == pytest.approx(clock.now + 1.05)

    def test_forgets_chats_free_again(self) -> None:
        clock = FakeClock()
        pacer = ChatPacer(1.0, 3.0, clock)
        for chat in range(1, 10_001):
            pacer.note_sent(chat)
        assert pacer.ready_at(1) > 0
        clock.now += 5
        pacer.note_sent(20_000)  # one too many: the chats free again are forgotten
        assert pacer.ready_at(1) == 0
        assert pacer.ready_at(20_000) == clock.now + 1.0


class TestHolds:
    def test_a_429_holds_the_chat_for_every_path(self) -> None:
        clock = FakeClock()
        pacer = ChatPacer(1.05, 3.15, clock)
        pacer.hold(42, 20)
        assert pacer.held_for(42) == 20
        assert pacer.ready_at(42) == clock.now + 20  # the relay's queue waits too
        pacer.note_sent(42)  # a send noted meanwhile does not shorten the hold
        assert pacer.ready_at(42) == clock.now + 20
        assert pacer.held_for(43) == 0
        clock.now += 20
        assert pacer.held_for(42) == 0

    def test_a_shorter_hold_keeps_the_longer(self) -> None:
        clock = FakeClock()
        pacer = ChatPacer(1.0, 3.0, clock)
        pacer.hold(42, 20)
        pacer.hold(42, 5)
        assert pacer.held_for(42) == 20


def limiter_and_calls() -> tuple[PacedRateLimiter, list[int]]:
    pacing = DeliveryPacing.create(1000, 0, 0)
    return PacedRateLimiter(pacing), []


class TestPacedRateLimiter:
    async def test_a_message_to_a_held_chat_waits_without_asking_telegram(self) -> None:
        limiter, called = limiter_and_calls()
        limiter.pacing.chats.hold(42, 19.2)

        async def send(chat: int) -> bool:
            called.append(chat)
            return True

        with pytest.raises(RetryAfter) as raised:
            await limiter.process_request(send, (42,), {}, "sendMessage", {"chat_id": 42}, None)
        assert seconds_to_wait(raised.value) == 20
        assert await limiter.process_request(
            send, (7,), {}, "editMessageText", {"chat_id": 7}, None
        )
        # The relay paces its own sends (and never picks a held chat).
        assert await limiter.process_request(send, (42,), {}, "sendMessage", {"chat_id": 42}, PACED)
        # Answering a button press is no message.
        assert await limiter.process_request(send, (42,), {}, "answerCallbackQuery", {}, None)
        assert called == [7, 42, 42]

    async def test_a_message_frees_its_chat_an_interval_after_telegram_answered(self) -> None:
        pacing = DeliveryPacing.create(1000, 1.05, 3.15)
        limiter = PacedRateLimiter(pacing)

        async def slow() -> bool:
            await asyncio.sleep(0.3)
            return True

        await limiter.process_request(slow, (), {}, "sendMessage", {"chat_id": 42}, None)
        assert pacing.chats.ready_at(42) == pytest.approx(time.monotonic() + 1.05, abs=0.05)

    @pytest.mark.parametrize("rate_limit_args", [None, PACED])
    async def test_telegrams_429_holds_that_chat_only(self, rate_limit_args: str | None) -> None:
        limiter, _ = limiter_and_calls()

        async def refused() -> bool:
            raise RetryAfter(timedelta(seconds=20))

        with pytest.raises(RetryAfter):
            await limiter.process_request(
                refused, (), {}, "sendMessage", {"chat_id": 42}, rate_limit_args
            )
        assert limiter.pacing.chats.held_for(42) == pytest.approx(20, abs=0.1)
        assert limiter.pacing.chats.held_for(43) == 0


def sample(name: str) -> float:
    value = REGISTRY.get_sample_value(name)
    assert value is not None, name
    return value


class TestMetrics:
    async def test_messages_429s_and_the_budget_are_counted(self) -> None:
        sent, refused_before = (
            sample("bot_telegram_messages_total"),
            sample("bot_telegram_retry_after_total"),
        )
        limiter = PacedRateLimiter(DeliveryPacing.create(27, 0, 0))
        assert sample("bot_telegram_send_budget_per_second") == 27

        async def ok() -> bool:
            return True

        async def refused() -> bool:
            raise RetryAfter(timedelta(seconds=3))

        await limiter.process_request(ok, (), {}, "sendMessage", {"chat_id": 1}, None)
        await limiter.process_request(ok, (), {}, "editMessageText", {"chat_id": 2}, PACED)
        await limiter.process_request(ok, (), {}, "answerCallbackQuery", {}, None)  # no message
        with pytest.raises(RetryAfter):
            await limiter.process_request(refused, (), {}, "sendMessage", {"chat_id": 3}, None)
        with pytest.raises(RetryAfter):  # held by us: Telegram was not asked, no 429 counted
            await limiter.process_request(ok, (), {}, "sendMessage", {"chat_id": 3}, None)
        assert sample("bot_telegram_messages_total") - sent == 2
        assert sample("bot_telegram_retry_after_total") - refused_before == 1


class TestCountsAsMessage:
    @pytest.mark.parametrize(
        "endpoint", ["sendMessage", "sendPhoto", "editMessageText", "copyMessage", "forwardMessage"]
    )
    def test_messages(self, endpoint: str) -> None:
        assert counts_as_message(endpoint)

    @pytest.mark.parametrize(
        "endpoint",
        ["getMe", "answerCallbackQuery", "sendChatAction", "sendMessageDraft", "setWebhook",
         "deleteMessage", "getUpdates"],
    )  # fmt: skip
    def test_not_messages(self, endpoint: str) -> None:
        assert not counts_as_message(endpoint)

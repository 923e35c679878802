"""The outage guard: one failure pauses, a second chat failing means Telegram is down (no
attempt used), a probe answered resumes; a failure alone costs its attempt."""

from __future__ import annotations

import pytest

from concierge.bot.notify.outage import OutageGuard
from concierge.contracts.notify import DeliveryOutcome, DeliveryReport
from tests.services.bot.notify.test_pacing import FakeClock

UNAVAILABLE = DeliveryOutcome.UNAVAILABLE


def report(notification_id: int, outcome: DeliveryOutcome = UNAVAILABLE) -> DeliveryReport:
    if outcome == DeliveryOutcome.RATE_LIMITED:
        return DeliveryReport(id=notification_id, outcome=outcome, retry_after_s=3)
    return DeliveryReport(id=notification_id, outcome=outcome, error="NetworkError: Bad Gateway")


def outcomes(reports: list[DeliveryReport]) -> list[tuple[int, DeliveryOutcome]]:
    return [(r.id, r.outcome) for r in reports]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def guard(clock: FakeClock) -> OutageGuard:
    return OutageGuard(first_pause_s=1.0, max_pause_s=8.0, clock=clock)


class TestHealthy:
    def test_answers_pass_straight_through(self, guard: OutageGuard) -> None:
        for outcome in (DeliveryOutcome.SENT, DeliveryOutcome.REJECTED, DeliveryOutcome.BLOCKED,
                        DeliveryOutcome.RATE_LIMITED, DeliveryOutcome.FAILED):  # fmt: skip
            assert outcomes(guard.judge(1, report(1, outcome), probe=False)) == [(1, outcome)]
        assert not guard.paused

    def test_a_failure_pauses_everything_and_waits_for_judgement(
        self, guard: OutageGuard, clock: FakeClock
    ) -> None:
        assert guard.judge(1, report(10), probe=False) == []
        assert guard.paused
        assert not guard.down
        assert guard.seconds_to_probe() == 1.0
        clock.now += 0.4
        assert guard.seconds_to_probe() == pytest.approx(0.6)


class TestOutage:
    def test_a_second_chat_failing_means_telegram_is_down_and_costs_nothing(
        self, guard: OutageGuard
    ) -> None:
        guard.judge(1, report(10), probe=False)
        released = guard.judge(2, report(20), probe=False)
        assert outcomes(released) == [(10, UNAVAILABLE), (20, UNAVAILABLE)]
        assert guard.down
        # Later failures go to api at once, still without an attempt.
        assert outcomes(guard.judge(3, report(30), probe=False)) == [(30, UNAVAILABLE)]

    def test_failed_probes_double_the_pause_up_to_the_cap(
        self, guard: OutageGuard, clock: FakeClock
    ) -> None:
        guard.judge(1, report(10), probe=False)
        pauses = []
        for n in range(6):
            clock.now += guard.seconds_to_probe()
            guard.judge(100 + n, report(100 + n), probe=True)
            pauses.append(guard.seconds_to_probe())
        assert pauses == [2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
        assert guard.paused

    def test_a_probe_answered_resumes_and_costs_nothing(self, guard: OutageGuard) -> None:
        guard.judge(1, report(10), probe=False)
        guard.judge(2, report(20), probe=True)  # down
        resumed = guard.judge(3, report(30, DeliveryOutcome.SENT), probe=True)
        assert outcomes(resumed) == [(30, DeliveryOutcome.SENT)]
        assert not guard.paused
        assert not guard.down
        assert guard.judge(4, report(40), probe=False) == []  # the next failure pauses anew
        assert guard.seconds_to_probe() == 1.0

    def test_a_late_answer_in_flight_does_not_end_the_pause(self, guard: OutageGuard) -> None:
        guard.judge(1, report(10), probe=False)
        late = guard.judge(2, report(20, DeliveryOutcome.SENT), probe=False)
        assert outcomes(late) == [(20, DeliveryOutcome.SENT)]
        assert guard.paused

    def test_get_me_unanswered_means_down(self, guard: OutageGuard) -> None:
        guard.judge(1, report(10), probe=False)
        assert outcomes(guard.probed(answered=False)) == [(10, UNAVAILABLE)]
        assert guard.down
        assert guard.seconds_to_probe() == 2.0
        assert guard.probed(answered=True) == []
        assert not guard.paused


class TestOneBadMessage:
    def test_a_failure_alone_costs_its_attempt_once_telegram_answers(
        self, guard: OutageGuard
    ) -> None:
        guard.judge(1, report(10), probe=False)
        resumed = guard.judge(2, report(20, DeliveryOutcome.SENT), probe=True)
        assert outcomes(resumed) == [(20, DeliveryOutcome.SENT), (10, DeliveryOutcome.FAILED)]
        assert not guard.paused

    def test_get_me_answering_judges_it_alone(self, guard: OutageGuard) -> None:
        guard.judge(1, report(10), probe=False)
        assert outcomes(guard.probed(answered=True)) == [(10, DeliveryOutcome.FAILED)]

    def test_stopping_gives_back_what_is_held_without_an_attempt(self, guard: OutageGuard) -> None:
        guard.judge(1, report(10), probe=False)
        assert outcomes(guard.held()) == [(10, UNAVAILABLE)]
        assert guard.held() == []

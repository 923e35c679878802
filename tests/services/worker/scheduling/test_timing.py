from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from concierge.worker.scheduling.timing import InvalidTiming, check_timing, first_run, next_run

T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class TestInterval:
    def test_the_next_tick_is_one_interval_later(self) -> None:
        assert next_run(T0, at(0.2), 10, None) == at(10)

    def test_missed_ticks_are_skipped_and_the_cadence_kept(self) -> None:
        assert next_run(T0, at(35), 10, None) == at(40)

    def test_the_next_tick_is_always_after_now(self) -> None:
        assert next_run(T0, at(20), 10, None) == at(30)
        assert next_run(T0, at(0.3), 0.1, None) > at(0.3)

    def test_a_new_schedule_fires_at_once(self) -> None:
        assert first_run(T0, 60, None) == T0


class TestCron:
    def test_the_next_match_after_now(self) -> None:
        assert next_run(at(0), at(1), None, "*/5 * * * *") == at(300)
        assert next_run(at(0), at(3600 * 5 + 1), None, "*/5 * * * *") == at(3600 * 5 + 300)

    def test_a_new_schedule_waits_for_its_first_match(self) -> None:
        assert first_run(at(90), None, "0 * * * *") == at(3600)


class TestCheckTiming:
    @pytest.mark.parametrize(
        ("interval_s", "cron"),
        [(None, None), (10, "* * * * *"), (0, None), (-1, None), (None, "every day")],
    )
    def test_refuses(self, interval_s: float | None, cron: str | None) -> None:
        with pytest.raises(InvalidTiming):
            check_timing(interval_s, cron)

    def test_accepts(self) -> None:
        check_timing(0.5, None)
        check_timing(None, "30 6 * * mon-fri")

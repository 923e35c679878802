"""When a schedule fires next. Times are UTC; cron expressions are read by croniter."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from croniter import croniter  # type: ignore[import-untyped]


class InvalidTiming(ValueError):
    pass


def check_timing(interval_s: float | None, cron: str | None) -> None:
    if (interval_s is None) == (cron is None):
        raise InvalidTiming("a schedule has either an interval or a cron expression")
    if interval_s is not None and not interval_s > 0:
        raise InvalidTiming("the interval must be positive")
    if cron is not None and not croniter.is_valid(cron):
        raise InvalidTiming(f"not a cron expression: {cron!r}")


def first_run(now: datetime, interval_s: float | None, cron: str | None) -> datetime:
    """An interval schedule fires right away; a cron one at its next match."""
    return now if cron is None else _next_cron(cron, now)


def next_run(tick: datetime, now: datetime, interval_s: float | None, cron: str | None) -> datetime:
    """The tick after ``tick`` (the one firing now), always later than ``now``.

    Ticks missed while no worker ran are not made up: the one firing now stands for
    them all. Interval schedules keep their cadence (tick + n·interval); cron ones
    take the next match after now.
    """
    if cron is not None:
        return _next_cron(cron, max(tick, now))
    assert interval_s is not None
    step = timedelta(seconds=interval_s)
    upcoming = tick + step * max(1, math.floor((now - tick) / step) + 1)
    while upcoming <= now:  # float rounding
        upcoming += step
    return upcoming


def _next_cron(cron: str, after: datetime) -> datetime:
    upcoming: datetime = croniter(cron, after).get_next(datetime)
    return upcoming

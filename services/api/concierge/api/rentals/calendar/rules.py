"""Calendar arithmetic: a change checked and applied to the closed days, and the full open
set Avito must be sent (every date of the coming year left out of a write is closed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from concierge.contracts.avito import DateRange
from concierge.contracts.rentals import CalendarChange

HORIZON_DAYS = 365


class BadChange(ValueError):
    """The change cannot be applied (a past date, an empty or reversed range, ...)."""


def days_of(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days)]


def check(change: CalendarChange, today: date) -> list[date]:
    """The days the change names; BadChange when a range is reversed or empty, starts in
    the past, ends beyond a year from today, or overlaps another range."""
    horizon = today + timedelta(days=HORIZON_DAYS)
    named: set[date] = set()
    for r in sorted(change.ranges, key=lambda r: r.date_start):
        if r.date_end <= r.date_start:
            raise BadChange("each range must end after it starts")
        if r.date_start < today:
            raise BadChange("a range may not start in the past")
        if r.date_end > horizon:
            raise BadChange("ranges end within a year from today")
        days = days_of(r.date_start, r.date_end)
        if named.intersection(days):
            raise BadChange("ranges may not overlap")
        named.update(days)
    return sorted(named)


def apply(closed: Iterable[date], change: CalendarChange, named: list[date]) -> set[date]:
    current = set(closed)
    return current | set(named) if change.action == "close" else current - set(named)


def open_set(closed: set[date], today: date) -> list[DateRange]:
    """The coming year minus the closed days, as ranges (what Avito's write needs)."""
    end = today + timedelta(days=HORIZON_DAYS)
    ranges: list[DateRange] = []
    start: date | None = None
    for day in days_of(today, end):
        if day not in closed:
            start = start or day
        elif start is not None:
            ranges.append(DateRange(date_start=start, date_end=day))
            start = None
    if start is not None:
        ranges.append(DateRange(date_start=start, date_end=end))
    return ranges

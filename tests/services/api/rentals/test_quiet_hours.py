"""Quiet hours are read in the item's time zone (a window may wrap midnight); a zone the
database no longer knows falls back to Moscow instead of failing the guest's answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from concierge.api.rentals.assistant.service import in_quiet_hours
from concierge.domain.rentals.models import RentalsItem


def item(start: int | None, end: int | None, zone: str) -> RentalsItem:
    return RentalsItem(quiet_start=start, quiet_end=end, time_zone=zone)


@pytest.mark.parametrize(
    ("utc_hour", "zone", "quiet"),
    [
        (13, "Asia/Vladivostok", True),  # 23:00 there, in 22–07
        (20, "Asia/Vladivostok", True),  # 06:00 there
        (21, "Asia/Vladivostok", False),  # 07:00 there: the end hour is not quiet
        (13, "UTC", False),  # the same instant read in UTC
        (19, "Europe/Moscow", True),  # 22:00 in Moscow
        (18, "Europe/Moscow", False),  # 21:00 in Moscow
        (3, "America/New_York", True),  # 22:00 (January: UTC-5)
        (2, "America/New_York", False),  # 21:00
        (19, "Mars/Olympus", True),  # a name the database lost: Moscow's 22:00
    ],
)
def test_quiet_hours_in_the_items_zone(utc_hour: int, zone: str, quiet: bool) -> None:
    now = datetime(2026, 1, 15, utc_hour, 0, tzinfo=UTC)
    assert in_quiet_hours(item(22, 7, zone), now) is quiet


def test_no_window_and_an_empty_one_are_never_quiet() -> None:
    now = datetime(2026, 1, 15, 12, tzinfo=UTC)
    assert in_quiet_hours(item(None, None, "UTC"), now) is False
    assert in_quiet_hours(item(12, 12, "UTC"), now) is False
    assert in_quiet_hours(item(12, 13, "UTC"), now) is True

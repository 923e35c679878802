"""An item's time zone (the landlord's local time: quiet hours, the arrivals digest)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from concierge.contracts.guest import DEFAULT_TIME_ZONE
from concierge.domain.rentals.models import RentalsItem


def zone_of(item: RentalsItem) -> ZoneInfo:
    try:
        return ZoneInfo(item.time_zone or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):  # the zone database lost a stored name
        return ZoneInfo(DEFAULT_TIME_ZONE)

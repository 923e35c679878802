"""An item's calendar and bookings; close/open days with a preview, then a confirmation;
the bookings poll the worker's schedule asks for (service token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from concierge.api.identity.deps import WebUser
from concierge.api.rentals.assistant.deps import GuestAssistantDep
from concierge.api.rentals.calendar.deps import CalendarDeskDep
from concierge.api.rentals.routes import ItemId, internal_router, landlord_router
from concierge.common.openapi import raises
from concierge.contracts.rentals import (
    BookingRead,
    BookingsPollResult,
    CalendarChange,
    CalendarConfirm,
    CalendarMonth,
    CalendarPreview,
    CalendarWritten,
)

router = landlord_router("/rentals/items")
service_router = internal_router()
Month = Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


@router.get("/{item_id}/calendar")
@raises(404)
async def month(
    item_id: ItemId, month: Month, user: WebUser, desk: CalendarDeskDep
) -> CalendarMonth:
    """Each day of the month: free, closed (by the landlord) or booked (with the booking)."""
    return await desk.month(user, item_id, month)


@router.get("/{item_id}/bookings")
@raises(404)
async def bookings(item_id: ItemId, user: WebUser, desk: CalendarDeskDep) -> list[BookingRead]:
    """The item's bookings of the coming year, as last polled from Avito."""
    return await desk.bookings(user, item_id)


@router.post("/{item_id}/calendar/preview")
@raises(404, 409, 422)
async def preview(
    item_id: ItemId, change: CalendarChange, user: WebUser, desk: CalendarDeskDep
) -> CalendarPreview:
    """What the change would close and open (nothing is written); its token confirms it."""
    return await desk.preview(user, item_id, change)


@router.post("/{item_id}/calendar/confirm")
@raises(404, 409, 422, 503)
async def confirm(
    item_id: ItemId, data: CalendarConfirm, user: WebUser, desk: CalendarDeskDep
) -> CalendarWritten:
    """Write the previewed change to Avito (the full open set). 409 when the calendar
    changed since the preview, or the days overlap a booking (nothing is changed)."""
    return await desk.confirm(user, item_id, data)


@service_router.post("/bookings/poll")
async def poll(desk: CalendarDeskDep, guest: GuestAssistantDep) -> BookingsPollResult:
    """Poll every item's bookings, tell landlords and co-hosts what is new, cancelled or
    changed, and after 18:00 in each item's time zone the arrivals of its tomorrow (once a
    day); expire the guest assistant's drafts left pending too long."""
    result = await desk.poll()
    result.drafts_expired = await guest.expire_drafts()
    return result

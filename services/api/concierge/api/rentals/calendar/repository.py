"""Every query of the calendar and bookings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.avito import AvitoBooking
from concierge.domain.identity.models import User
from concierge.domain.rentals.models import (
    RentalsAccount,
    RentalsBooking,
    RentalsCohost,
    RentalsItem,
)


class CalendarRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def item(self, item_id: int) -> RentalsItem | None:
        return await self.session.get(RentalsItem, item_id)

    async def lock_item(self, item_id: int) -> RentalsItem | None:
        query = select(RentalsItem).where(RentalsItem.id == item_id).with_for_update()
        return await self.session.scalar(query)

    async def save_closed(self, item: RentalsItem, closed: set[date]) -> None:
        item.closed_days = sorted(day.isoformat() for day in closed)
        await self.session.flush()

    async def bookings(self, item_id: int, start: date, end: date) -> Sequence[RentalsBooking]:
        query = (
            select(RentalsBooking)
            .where(
                RentalsBooking.item_id == item_id,
                RentalsBooking.check_out > start,
                RentalsBooking.check_in < end,
            )
            .order_by(RentalsBooking.check_in)
        )
        return (await self.session.scalars(query)).all()

    async def all_bookings(self, item_id: int) -> dict[int, RentalsBooking]:
        query = select(RentalsBooking).where(RentalsBooking.item_id == item_id)
        return {b.avito_booking_id: b for b in (await self.session.scalars(query)).all()}

    async def save_booking(self, item_id: int, booking: AvitoBooking) -> None:
        values = {
            "status": booking.status,
            "check_in": booking.check_in,
            "check_out": booking.check_out,
            "guest_name": ((booking.contact.name if booking.contact else None) or "")[:200],
            "guest_count": booking.guest_count,
        }
        statement = (
            insert(RentalsBooking)
            .values(item_id=item_id, avito_booking_id=booking.avito_booking_id, **values)
            .on_conflict_do_update(index_elements=["item_id", "avito_booking_id"], set_=values)
        )
        await self.session.execute(statement)

    async def mark_polled(self, item: RentalsItem, at: datetime) -> None:
        item.bookings_polled_at = at
        await self.session.flush()

    async def cohosts(self, account_id: int) -> Sequence[User]:
        """The users the landlord invited to the account (read or full rights)."""
        query = (
            select(User)
            .join(RentalsCohost, RentalsCohost.user_id == User.id)
            .where(RentalsCohost.account_id == account_id)
            .order_by(RentalsCohost.id)
        )
        return (await self.session.scalars(query)).all()

    async def polled_items(self) -> Sequence[tuple[RentalsItem, RentalsAccount]]:
        """Every item of every account whose credentials still work."""
        query = (
            select(RentalsItem, RentalsAccount)
            .join(RentalsAccount, RentalsAccount.id == RentalsItem.account_id)
            .where(RentalsAccount.revoked_at.is_(None), RentalsItem.status == "active")
            .order_by(RentalsItem.id)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def arrivals_on(
        self, item_ids: Sequence[int], day: date
    ) -> Sequence[tuple[RentalsBooking, RentalsItem, RentalsAccount]]:
        """The active bookings of these items arriving on the day, with item and account."""
        query = (
            select(RentalsBooking, RentalsItem, RentalsAccount)
            .join(RentalsItem, RentalsItem.id == RentalsBooking.item_id)
            .join(RentalsAccount, RentalsAccount.id == RentalsItem.account_id)
            .where(
                RentalsItem.id.in_(item_ids),
                RentalsBooking.check_in == day,
                RentalsBooking.status == "active",
            )
            .order_by(RentalsItem.id, RentalsBooking.id)
        )
        rows = (await self.session.execute(query)).all()
        return [(row[0], row[1], row[2]) for row in rows]

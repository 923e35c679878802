"""The calendar and bookings: a month at a glance, close/open with a preview first (the
diff, and a token that confirms exactly that change on exactly that calendar), and the
bookings poll that tells the landlord what changed.

Every write to Avito is the full open set (the coming year minus the closed days), since
Avito closes every date a write leaves out. A change that closes a booked day is refused
(409, naming the booking) before Avito is asked; Avito's own 409 is reported the same way
and nothing is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from concierge.api.identity.repository import UserRepository
from concierge.api.notify.service import NotifyService
from concierge.api.rentals.accounts.service import AccountDesk, Revoked
from concierge.api.rentals.calendar import rules
from concierge.api.rentals.calendar.repository import CalendarRepository
from concierge.api.rentals.notifications import arrivals_tomorrow, booking_changed
from concierge.api.rentals.zones import zone_of
from concierge.common import clock
from concierge.common.errors import Conflict, Invalid, NotFound, Unavailable
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.avito import AvitoBooking, AvitoErrorCode, IntervalsWrite
from concierge.contracts.errors import ErrorCode
from concierge.contracts.rentals import (
    BookingRead,
    BookingsPollResult,
    CalendarChange,
    CalendarConfirm,
    CalendarDay,
    CalendarMonth,
    CalendarPreview,
    CalendarWritten,
)
from concierge.domain.identity.models import User
from concierge.domain.rentals.models import RentalsAccount, RentalsBooking, RentalsItem

log = logging.getLogger(__name__)
ZONE = ZoneInfo("Europe/Moscow")  # Avito's calendar days
DIGEST_HOUR = 18  # the "arrivals tomorrow" digest goes out from this hour (item's zone)
LIVE = ("active", "pending")


class CalendarDesk:
    def __init__(
        self,
        calendar: CalendarRepository,
        accounts: AccountDesk,
        users: UserRepository,
        notify: NotifyService,
        signing_key: bytes,
    ) -> None:
        self.calendar = calendar
        self.accounts = accounts
        self.users = users
        self.notify = notify
        self.signing_key = signing_key

    @staticmethod
    def today() -> date:
        return clock.utcnow().astimezone(ZONE).date()

    async def _item(
        self, user: User, item_id: int, *, change: bool
    ) -> tuple[RentalsItem, RentalsAccount]:
        item = await self.calendar.item(item_id)
        if item is None:
            raise NotFound("No such item")
        account = await self.accounts.account(user, item.account_id, change=change)
        return item, account

    async def month(self, user: User, item_id: int, month: str) -> CalendarMonth:
        item, _ = await self._item(user, item_id, change=False)
        first = _month_start(month)
        end = (first + timedelta(days=32)).replace(day=1)
        booked = {
            day: booking.avito_booking_id
            for booking in await self.calendar.bookings(item.id, first, end)
            if booking.status in LIVE
            for day in rules.days_of(booking.check_in, booking.check_out)
        }
        closed = set(item.closed_days)
        days = [
            CalendarDay(
                date=day,
                state="booked"
                if day in booked
                else "closed"
                if day.isoformat() in closed
                else "free",
                booking_id=booked.get(day),
            )
            for day in rules.days_of(first, end)
        ]
        return CalendarMonth(item_id=item.id, month=first.strftime("%Y-%m"), days=days)

    async def bookings(self, user: User, item_id: int) -> list[BookingRead]:
        item, _ = await self._item(user, item_id, change=False)
        today = self.today()
        found = await self.calendar.bookings(
            item.id, today, today + timedelta(days=rules.HORIZON_DAYS)
        )
        return [BookingRead.model_validate(b) for b in found]

    async def preview(self, user: User, item_id: int, change: CalendarChange) -> CalendarPreview:
        item, _ = await self._item(user, item_id, change=True)
        before, after = await self._plan(item, change)
        return CalendarPreview(
            closes=sorted(after - before),
            opens=sorted(before - after),
            token=self._token(item, change, before),
        )

    async def confirm(self, user: User, item_id: int, data: CalendarConfirm) -> CalendarWritten:
        item, account = await self._item(user, item_id, change=True)
        item = await self.calendar.lock_item(item.id) or item
        change = CalendarChange(action=data.action, ranges=data.ranges)
        before, after = await self._plan(item, change)
        if not hmac.compare_digest(self._token(item, change, before), data.token):
            raise Conflict(
                "The calendar changed since the preview: preview again",
                code=ErrorCode.CALENDAR_CHANGED,
            )
        write = IntervalsWrite(intervals=rules.open_set(after, self.today()))
        try:
            await self.accounts.call_avito(
                account,
                lambda: self.accounts.gateway.set_intervals(account.id, item.avito_item_id, write),
            )
        except Revoked as exc:
            raise Conflict(
                "Avito refused the account's keys: connect it again",
                code=ErrorCode.AVITO_KEYS_REFUSED,
            ) from exc
        except ServiceResponseError as exc:
            if exc.code == AvitoErrorCode.PAID_OVERLAP:
                booking = exc.params.get("booking_id", "?")
                raise Conflict(
                    f"Avito refused: the dates overlap the paid booking {booking}; nothing changed",
                    code=ErrorCode.BOOKING_OVERLAP,
                    params={"booking": str(booking), "check_in": "", "check_out": ""},
                ) from exc
            raise
        await self.calendar.save_closed(item, after)
        return CalendarWritten(closed=len(after - before), opened=len(before - after))

    async def _plan(self, item: RentalsItem, change: CalendarChange) -> tuple[set[date], set[date]]:
        today = self.today()
        try:
            named = rules.check(change, today)
        except rules.BadChange as exc:
            raise Invalid(str(exc)) from exc
        before = {date.fromisoformat(d) for d in item.closed_days if d >= today.isoformat()}
        after = rules.apply(before, change, named)
        if change.action == "close":
            end = today + timedelta(days=rules.HORIZON_DAYS)
            for booking in await self.calendar.bookings(item.id, today, end):
                nights = set(rules.days_of(booking.check_in, booking.check_out))
                if booking.status in LIVE and nights & set(named):
                    raise Conflict(
                        f"The dates overlap the booking {booking.avito_booking_id} "
                        f"({booking.check_in} → {booking.check_out}); nothing changed",
                        code=ErrorCode.BOOKING_OVERLAP,
                        params={
                            "booking": str(booking.avito_booking_id),
                            "check_in": booking.check_in.isoformat(),
                            "check_out": booking.check_out.isoformat(),
                        },
                    )
        return before, after

    def _token(self, item: RentalsItem, change: CalendarChange, before: set[date]) -> str:
        message = "|".join(
            [
                str(item.id),
                change.action,
                ",".join(
                    f"{r.date_start}:{r.date_end}"
                    for r in sorted(change.ranges, key=lambda r: r.date_start)
                ),
                ",".join(sorted(d.isoformat() for d in before)),
            ]
        )
        return hmac.new(self.signing_key, message.encode(), hashlib.sha256).hexdigest()[:40]

    # --- the bookings poll (the worker's schedule asks for it) ---

    async def poll(self) -> BookingsPollResult:
        result = BookingsPollResult(items=0, new=0, cancelled=0, changed=0, failed=0)
        today = self.today()
        polled: list[tuple[RentalsItem, RentalsAccount]] = []
        for item, account in await self.calendar.polled_items():
            result.items += 1
            try:
                found = await self.accounts.call_avito(
                    account,
                    lambda i=item, a=account: self.accounts.gateway.bookings(  # type: ignore[misc]
                        a.id,
                        i.avito_item_id,
                        today - timedelta(days=1),
                        today + timedelta(days=rules.HORIZON_DAYS),
                    ),
                )
            except (
                Revoked,
                ServiceResponseError,
                ServiceUnavailable,
                Unavailable,
                NotFound,
                Invalid,
            ) as exc:
                log.warning("bookings of item %d not polled: %r", item.id, exc)
                result.failed += 1
                continue
            await self._diff(item, account, found, result)
            polled.append((item, account))
        await self._arrivals(polled)
        return result

    async def _told(self, account: RentalsAccount) -> list[User]:
        """Who hears of the account's bookings: its owner, then its co-hosts."""
        owner = await self.users.get(account.owner_id)
        told = [owner] if owner is not None else []
        return told + [
            u for u in await self.calendar.cohosts(account.id) if u.id != account.owner_id
        ]

    async def _diff(
        self,
        item: RentalsItem,
        account: RentalsAccount,
        found: list[AvitoBooking],
        result: BookingsPollResult,
    ) -> None:
        known = await self.calendar.all_bookings(item.id)
        # The first poll of an item takes what Avito already shows as the baseline: those
        # bookings existed before the landlord connected, they are not news.
        baseline = item.bookings_polled_at is None
        told = await self._told(account)
        for booking in found:
            before = known.get(booking.avito_booking_id)
            what: str | None = None
            if baseline:
                what = None
            elif before is None:
                what = "new" if booking.status in LIVE else None
            elif booking.status == "canceled" and before.status != "canceled":
                what = "cancelled"
            elif (booking.check_in, booking.check_out) != (before.check_in, before.check_out):
                what = "changed"
            await self.calendar.save_booking(item.id, booking)
            if what is not None and told:
                for user in told:
                    await self.notify.enqueue(
                        booking_changed(
                            user, what, item, booking, cohost=user.id != account.owner_id
                        )
                    )
                setattr(result, what, getattr(result, what) + 1)
        if baseline:
            await self.calendar.mark_polled(item, clock.utcnow())

    async def _arrivals(self, polled: Sequence[tuple[RentalsItem, RentalsAccount]]) -> None:
        """The "arrivals tomorrow" digest: for the items whose local time (their time zone)
        is past ``DIGEST_HOUR``, the bookings arriving on their local tomorrow, one message
        per recipient (owner and co-hosts), day and zone; each told once (dedup key)."""
        now = clock.utcnow()
        due: dict[tuple[str, date], list[int]] = defaultdict(list)
        for item, _ in polled:
            local = now.astimezone(zone_of(item))
            if local.hour >= DIGEST_HOUR:
                due[(str(zone_of(item)), local.date() + timedelta(days=1))].append(item.id)
        recipients: dict[int, list[User]] = {}
        for (zone, day), item_ids in due.items():
            digests: dict[int, tuple[User, list[tuple[RentalsBooking, RentalsItem]]]] = {}
            for booking, item, account in await self.calendar.arrivals_on(item_ids, day):
                if account.id not in recipients:
                    recipients[account.id] = await self._told(account)
                for user in recipients[account.id]:
                    digests.setdefault(user.id, (user, []))[1].append((booking, item))
            for user, arrivals in digests.values():
                await self.notify.enqueue(arrivals_tomorrow(user, day, arrivals, zone))


def _month_start(month: str) -> date:
    try:
        year, number = (int(part) for part in month.split("-"))
        if not 2000 <= year <= 2200:
            raise ValueError(year)
        return date(year, number, 1)
    except ValueError as exc:
        raise Invalid("month is YYYY-MM, years 2000 to 2200") from exc

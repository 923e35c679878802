"""What the Avito stand-in knows: accounts, tokens, items, calendars, bookings, chats,
webhook subscriptions, and the faults queued for the next requests."""

from __future__ import annotations

import itertools
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from concierge.common import clock

HORIZON_DAYS = 365  # Avito's availability covers the coming year


@dataclass
class Account:
    user_id: int
    client_id: str
    client_secret: str
    name: str
    revoked: bool = False


@dataclass
class Item:
    id: int
    user_id: int
    title: str
    address: str
    price: int
    status: str = "active"
    # None: never written (all open); else the open dates of the coming year.
    open_dates: set[date] | None = None
    manual: list[dict[str, Any]] = field(default_factory=list)  # close-dates bookings
    prices: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Booking:
    avito_booking_id: int
    item_id: int
    check_in: date
    check_out: date
    status: str = "active"  # active | canceled | pending
    guest_count: int = 2
    base_price: int = 0
    name: str = "Guest"
    paid: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "avito_booking_id": self.avito_booking_id,
            "status": self.status,
            "check_in": self.check_in.isoformat(),
            "check_out": self.check_out.isoformat(),
            "nights": (self.check_out - self.check_in).days,
            "guest_count": self.guest_count,
            "base_price": self.base_price,
            "contact": {"name": self.name, "email": None, "phone": None},
        }


@dataclass
class Message:
    id: str
    author_id: int
    created: int
    text: str
    type: str = "text"
    is_read: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "author_id": self.author_id,
            "created": self.created,
            "type": self.type,
            "content": {"text": self.text},
            "direction": "in",
            "is_read": self.is_read,
        }


@dataclass
class Chat:
    id: str
    user_id: int  # the landlord
    item_id: int | None
    guest_id: int
    guest_name: str
    messages: list[Message] = field(default_factory=list)
    created: int = field(default_factory=lambda: int(time.time()))


@dataclass
class AvitoState:
    token_ttl_s: int = 86_400
    accounts: dict[int, Account] = field(default_factory=dict)
    tokens: dict[str, tuple[int, float]] = field(default_factory=dict)  # token -> (uid, expiry)
    items: dict[int, Item] = field(default_factory=dict)
    bookings: dict[int, Booking] = field(default_factory=dict)
    chats: dict[str, Chat] = field(default_factory=dict)
    webhooks: dict[int, str] = field(default_factory=dict)  # uid -> url
    faults: deque[str] = field(default_factory=deque)
    calls: list[str] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # webhook pushes
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        return next(self._ids)

    # --- auth ---
    def issue_token(self, client_id: str, client_secret: str) -> str | None:
        for account in self.accounts.values():
            if (
                account.client_id == client_id
                and secrets.compare_digest(account.client_secret, client_secret)
                and not account.revoked
            ):
                token = secrets.token_urlsafe(24)
                self.tokens[token] = (account.user_id, time.monotonic() + self.token_ttl_s)
                return token
        return None

    def user_of(self, token: str) -> int | None:
        found = self.tokens.get(token)
        if found is None or found[1] < time.monotonic():
            return None
        account = self.accounts.get(found[0])
        if account is None or account.revoked:
            return None
        return found[0]

    def expire_tokens(self) -> None:
        self.tokens.clear()

    # --- calendar ---
    def horizon(self) -> tuple[date, date]:
        today = clock.utcnow().date()
        return today, today + timedelta(days=HORIZON_DAYS)

    def paid_overlap(self, item_id: int, closed: set[date]) -> Booking | None:
        for booking in self.bookings.values():
            if booking.item_id != item_id or not booking.paid or booking.status != "active":
                continue
            nights = {
                booking.check_in + timedelta(days=n)
                for n in range((booking.check_out - booking.check_in).days)
            }
            if nights & closed:
                return booking
        return None

    def calendar(self, item_id: int, start: date, end: date) -> dict[str, str]:
        """Each day of [start, end): booked, closed or free."""
        item = self.items[item_id]
        days: dict[str, str] = {}
        manual = {
            range_start + timedelta(days=n)
            for entry in item.manual
            for range_start, range_end in [
                (date.fromisoformat(entry["date_start"]), date.fromisoformat(entry["date_end"]))
            ]
            for n in range((range_end - range_start).days)
        }
        booked = {
            b.check_in + timedelta(days=n)
            for b in self.bookings.values()
            if b.item_id == item_id and b.status == "active"
            for n in range((b.check_out - b.check_in).days)
        }
        day = start
        while day < end:
            if day in booked:
                days[day.isoformat()] = "booked"
            elif day in manual or (item.open_dates is not None and day not in item.open_dates):
                days[day.isoformat()] = "closed"
            else:
                days[day.isoformat()] = "free"
            day += timedelta(days=1)
        return days

    def reset(self) -> None:
        fresh = AvitoState(token_ttl_s=self.token_ttl_s)
        self.__dict__.update(fresh.__dict__)

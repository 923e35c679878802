"""The rentals desk: landlords' Avito accounts (credentials encrypted), their items,
co-hosts, and the guests' chats and messages the Avito gateway forwards.

A guest message is stored once, keyed by its Avito ids (chat, message), so the gateway
may forward a batch again without doubling anything.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from concierge.db import Base, TimestampMixin

__all__ = [
    "RentalsAccount",
    "RentalsBooking",
    "RentalsChat",
    "RentalsCohost",
    "RentalsDraft",
    "RentalsFaq",
    "RentalsItem",
    "RentalsMessage",
]


class RentalsAccount(TimestampMixin, Base):
    """A landlord's Avito account: client id and the secret, encrypted (MultiFernet)."""

    __tablename__ = "rentals_accounts"
    __table_args__ = (UniqueConstraint("owner_id", "avito_user_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    avito_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(200), server_default=sql("''"))
    client_id: Mapped[str] = mapped_column(String(200))
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # Avito refused the credentials: set once, with the landlord told once; cleared when
    # the landlord connects the account again.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RentalsCohost(TimestampMixin, Base):
    """Someone the landlord lets see (read) or also change (full) an account."""

    __tablename__ = "rentals_cohosts"
    __table_args__ = (
        UniqueConstraint("account_id", "user_id"),
        CheckConstraint("access IN ('read', 'full')", name="access_allowed"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("rentals_accounts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    access: Mapped[str] = mapped_column(String(8))


class RentalsItem(TimestampMixin, Base):
    """An ad of the account, as last imported from Avito."""

    __tablename__ = "rentals_items"
    __table_args__ = (
        UniqueConstraint("account_id", "avito_item_id"),
        CheckConstraint("guest_mode IN ('auto', 'draft', 'off')", name="guest_mode_allowed"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("rentals_accounts.id", ondelete="CASCADE"), index=True
    )
    avito_item_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(500), server_default=sql("''"))
    address: Mapped[str] = mapped_column(String(500), server_default=sql("''"))
    status: Mapped[str] = mapped_column(String(32), server_default=sql("'active'"))
    url: Mapped[str] = mapped_column(String(2048), server_default=sql("''"))
    # The days the landlord closed (ISO dates): with Avito's rule (a date left out of an
    # availability write is closed) every write sends the horizon minus these.
    closed_days: Mapped[list[str]] = mapped_column(JSONB, server_default=sql("'[]'::jsonb"))
    # The guest assistant's facts (the landlord's words) and how it answers: auto (sent),
    # draft (proposed to the landlord in Telegram), off; quiet hours (hours of the item's
    # time zone, start inclusive, end exclusive, may wrap midnight) turn auto replies into
    # drafts. The time zone (IANA) also sets the "arrivals tomorrow" digest's day and hour.
    description: Mapped[str] = mapped_column(Text, server_default=sql("''"))
    house_rules: Mapped[str] = mapped_column(Text, server_default=sql("''"))
    guest_mode: Mapped[str] = mapped_column(String(8), server_default=sql("'off'"))
    quiet_start: Mapped[int | None] = mapped_column(SmallInteger)
    quiet_end: Mapped[int | None] = mapped_column(SmallInteger)
    time_zone: Mapped[str] = mapped_column(String(64), server_default=sql("'Europe/Moscow'"))
    # When the bookings poll first read the item: the first poll takes the bookings already
    # on Avito as a silent baseline (they are not "new" to the landlord).
    bookings_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RentalsFaq(TimestampMixin, Base):
    """A question and its answer the landlord wrote for an item."""

    __tablename__ = "rentals_faq"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("rentals_items.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(500))
    answer: Mapped[str] = mapped_column(Text)


class RentalsBooking(TimestampMixin, Base):
    """A booking as last polled from Avito (no booking webhook exists: poll and diff)."""

    __tablename__ = "rentals_bookings"
    __table_args__ = (UniqueConstraint("item_id", "avito_booking_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("rentals_items.id", ondelete="CASCADE"), index=True
    )
    avito_booking_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    check_in: Mapped[date] = mapped_column(Date)
    check_out: Mapped[date] = mapped_column(Date)
    guest_name: Mapped[str] = mapped_column(String(200), server_default=sql("''"))
    guest_count: Mapped[int | None] = mapped_column(Integer)
    # The arrival time and date the guest stated in the messenger (check-in extraction).
    arrival_time: Mapped[str | None] = mapped_column(String(5))
    arrival_date: Mapped[date | None] = mapped_column(Date)


class RentalsChat(TimestampMixin, Base):
    __tablename__ = "rentals_chats"
    __table_args__ = (UniqueConstraint("account_id", "avito_chat_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("rentals_accounts.id", ondelete="CASCADE"), index=True
    )
    avito_chat_id: Mapped[str] = mapped_column(String(200))
    avito_item_id: Mapped[int | None] = mapped_column(BigInteger)
    guest_avito_id: Mapped[int] = mapped_column(BigInteger)
    # This guest's booking (linked by the landlord): the only booking the assistant tells of.
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("rentals_bookings.id", ondelete="SET NULL")
    )
    # Handed to the landlord (asked for, a complaint, unsure): no auto replies until resumed.
    handed_off_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handoff_reason: Mapped[str | None] = mapped_column(String(16))
    arrival_time: Mapped[str | None] = mapped_column(String(5))
    arrival_date: Mapped[date | None] = mapped_column(Date)


class RentalsMessage(Base):
    """A guest's message; ``handled_at`` is set by whoever answers it (the guest assistant)."""

    __tablename__ = "rentals_messages"
    __table_args__ = (UniqueConstraint("chat_id", "avito_message_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        ForeignKey("rentals_chats.id", ondelete="CASCADE"), index=True
    )
    avito_message_id: Mapped[str] = mapped_column(String(200))
    author_avito_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40), server_default=sql("'text'"))
    text: Mapped[str] = mapped_column(Text, server_default=sql("''"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=sql("now()")
    )
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outgoing: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))


class RentalsDraft(TimestampMixin, Base):
    """A reply the assistant proposed (draft mode, quiet hours) for the landlord to send,
    edit or skip; one not acted on within ``API_RENTALS_DRAFT_TTL_H`` hours is expired."""

    __tablename__ = "rentals_drafts"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sent', 'skipped', 'expired')", name="status_allowed"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        ForeignKey("rentals_chats.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("rentals_messages.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), server_default=sql("'pending'"))

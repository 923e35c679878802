"""The watch desk: appointment-slot providers, what they offer, the targets polled
(one per provider, office and service, however many people watch it), people's
watches and the slots each target showed.

A slot is announced to a person once: its outbox row's dedup key names the person,
the target and the slot's time (``watch.slot_opened:<user>:<target>:<epoch>``).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from concierge.contracts.watch import ProviderKind, TargetState
from concierge.db import Base, TimestampMixin

__all__ = [
    "ProviderKind",
    "TargetState",
    "Watch",
    "WatchHeld",
    "WatchOffice",
    "WatchPreferences",
    "WatchProvider",
    "WatchService",
    "WatchSlot",
    "WatchTarget",
]


class WatchProvider(TimestampMixin, Base):
    __tablename__ = "watch_providers"
    __table_args__ = (
        CheckConstraint("kind IN ('zms', 'json', 'html')", name="kind_allowed"),
        CheckConstraint("floor_interval_s >= 1", name="floor_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(2048))
    # The official page where people book, with {office} and {service} in it.
    booking_url: Mapped[str] = mapped_column(String(2048))
    timezone: Mapped[str] = mapped_column(String(64), server_default=sql("'Europe/Berlin'"))
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    floor_interval_s: Mapped[float] = mapped_column(Float, server_default=sql("180"))
    enabled: Mapped[bool] = mapped_column(server_default=sql("true"))
    catalog_updated_at: Mapped[datetime | None]


class _CatalogEntry:
    """An office or a service as its provider names it."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint]:
        return (UniqueConstraint("provider_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("watch_providers.id", ondelete="CASCADE"), index=True
    )
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(300))


class WatchOffice(_CatalogEntry, Base):
    __tablename__ = "watch_offices"

    # The external ids of the services this office offers (empty: any).
    service_ids: Mapped[list[str]] = mapped_column(JSONB, default=list)


class WatchService(_CatalogEntry, Base):
    __tablename__ = "watch_services"


class WatchTarget(TimestampMixin, Base):
    """One (provider, office, service), polled once for everybody who watches it."""

    __tablename__ = "watch_targets"
    __table_args__ = (
        UniqueConstraint("office_id", "service_id"),
        CheckConstraint("state IN ('new', 'healthy', 'failing', 'captcha')", name="state_allowed"),
        Index("ix_watch_targets_due", "next_poll_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("watch_providers.id", ondelete="CASCADE"), index=True
    )
    office_id: Mapped[int] = mapped_column(ForeignKey("watch_offices.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(
        ForeignKey("watch_services.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), server_default=sql("'new'"))
    next_poll_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))
    last_poll_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    failures_in_row: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    # Admins were told this target keeps failing (and will be told once when it recovers).
    alerted_at: Mapped[datetime | None]
    # A captcha demand pauses polling until then; captcha_at names the episode.
    paused_until: Mapped[datetime | None]
    captcha_at: Mapped[datetime | None]
    polls: Mapped[int] = mapped_column(BigInteger, server_default=sql("0"))


class Watch(TimestampMixin, Base):
    """A person's subscription to a target: the days and hours that suit them."""

    __tablename__ = "watches"
    __table_args__ = (
        CheckConstraint("date_from <= date_to", name="dates_in_order"),
        CheckConstraint("time_from < time_to", name="times_in_order"),
        CheckConstraint("weekdays BETWEEN 1 AND 127", name="weekdays_mask"),
        Index("ix_watches_target_active", "target_id", postgresql_where=sql("paused_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("watch_targets.id", ondelete="CASCADE"))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[int] = mapped_column(Integer)  # bit 0 Monday … bit 6 Sunday
    time_from: Mapped[time] = mapped_column(Time)  # in the provider's time zone
    time_to: Mapped[time] = mapped_column(Time)
    paused_at: Mapped[datetime | None]
    paused_reason: Mapped[str | None] = mapped_column(String(32))  # user, blocked
    # When this person was last told of a slot of this target (their cooldown runs from it).
    last_told_at: Mapped[datetime | None]


class WatchSlot(Base):
    """A slot a target showed; ``gone_at`` once a later poll no longer shows it."""

    __tablename__ = "watch_slots"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("watch_targets.id", ondelete="CASCADE"), primary_key=True
    )
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    first_seen_at: Mapped[datetime]
    gone_at: Mapped[datetime | None]


class WatchPreferences(TimestampMixin, Base):
    """How a person wants to hear of slots (no row: the defaults)."""

    __tablename__ = "watch_preferences"
    __table_args__ = (
        CheckConstraint("mode IN ('instant', 'digest')", name="mode_allowed"),
        CheckConstraint("cooldown_s BETWEEN 0 AND 86400", name="cooldown_range"),
        CheckConstraint("digest_hour BETWEEN 0 AND 23", name="digest_hour_range"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(16), server_default=sql("'instant'"))
    cooldown_s: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    quiet_from: Mapped[time | None] = mapped_column(Time)
    quiet_to: Mapped[time | None] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64), server_default=sql("'Europe/Berlin'"))
    repeat_until_seen: Mapped[bool] = mapped_column(server_default=sql("false"))
    captcha_notices: Mapped[bool] = mapped_column(server_default=sql("true"))
    daily_digest: Mapped[bool] = mapped_column(server_default=sql("false"))
    digest_hour: Mapped[int] = mapped_column(Integer, server_default=sql("8"))
    # The person's local date of the last digest (one a day).
    last_digest_on: Mapped[date | None] = mapped_column(Date)


class WatchHeld(Base):
    """A message about a slot that waits: quiet hours, a cooldown, or a reminder
    ("repeat until Seen", ``repeat`` 1…). Released by the worker's ``watch.deliver``;
    dropped when the slot goes or the person taps Seen."""

    __tablename__ = "watch_held"
    __table_args__ = (
        UniqueConstraint("user_id", "target_id", "starts_at", "repeat"),
        Index("ix_watch_held_due", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(
        ForeignKey("watch_targets.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    repeat: Mapped[int] = mapped_column(Integer, server_default=sql("0"))
    due_at: Mapped[datetime]

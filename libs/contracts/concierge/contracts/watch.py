"""The watch desk's models, shared by the api, the bot and the worker.

People watch a target (a provider's office and service) for slots in a date range, on
some weekdays, within a time window (the provider's local time). The worker polls each
target once for everybody and reports each poll to the api (``PollReport``), which
compares it with the last one and tells the people whose window a new slot fits.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from concierge.contracts.ids import BodyRowId, RowId
from concierge.contracts.text import MULTI_LINE, SINGLE_LINE

MAX_SLOTS_PER_POLL = 5000
MAX_CATALOG = 5000
MAX_WATCH_DAYS = 366  # a range may end at most this many days ahead
MAX_WATCHES_PER_USER = 20
ALL_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=128), SINGLE_LINE]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300), SINGLE_LINE]
HttpUrl = Annotated[
    str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s]+$"), SINGLE_LINE
]
Weekday = Annotated[int, Field(ge=1, le=7, description="1 Monday … 7 Sunday")]
MAX_CONFIG_BYTES = 20_000


def _zone(name: str) -> str:
    if name not in available_timezones():
        raise ValueError(f"unknown time zone {name!r}")
    ZoneInfo(name)
    return name


def _plausible(moment: datetime) -> datetime:
    if not 2000 <= moment.year <= 2100:
        raise ValueError("a slot's year is not between 2000 and 2100")
    return moment


def _local(moment: time) -> time:
    if moment.tzinfo is not None:
        raise ValueError("times are the office's local time: leave out the offset")
    return moment


TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_zone)]
SlotTime = Annotated[AwareDatetime, AfterValidator(_plausible)]
LocalTime = Annotated[time, AfterValidator(_local)]


class ProviderKind(StrEnum):
    ZMS = "zms"
    JSON = "json"
    HTML = "html"


class TargetState(StrEnum):
    NEW = "new"
    HEALTHY = "healthy"
    FAILING = "failing"
    CAPTCHA = "captcha"


class PollOutcome(StrEnum):
    OK = "ok"  # the provider answered; ``slots`` is everything it shows now
    FAILED = "failed"  # it did not (error, changed markup, HTML instead of JSON)
    RATE_LIMITED = "rate_limited"  # 403/418/429 or rateLimitExceeded: the breaker opened
    CAPTCHA = "captcha"  # captchaMissing/Invalid/Expired: people must go on by hand


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProviderRead(BaseModel):
    slug: str
    name: str
    kind: ProviderKind
    timezone: str = Field("Europe/Berlin", description="The offices' time zone (slots, hours)")


class ProviderCreate(Strict):
    slug: Slug
    kind: ProviderKind
    name: Name
    base_url: HttpUrl
    booking_url: HttpUrl = Field(
        description="The official booking page; {office} and {service} are filled in"
    )
    timezone: TimeZoneName = "Europe/Berlin"
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="json: url, slots_path, time_field; html: url, page_selector, "
        "slot_selector, time_attribute; offices and services for portals without a catalog",
    )
    floor_interval_s: float = Field(180.0, ge=1, le=86_400)

    @field_validator("config")
    @classmethod
    def _storable(cls, config: dict[str, Any]) -> dict[str, Any]:
        encoded = json.dumps(config)
        if "\\u0000" in encoded:
            raise ValueError("the config holds a NUL character")
        if len(encoded) > MAX_CONFIG_BYTES:
            raise ValueError(f"the config is over {MAX_CONFIG_BYTES} bytes")
        return config


class OfficeRead(BaseModel):
    id: str
    name: str


class ServiceRead(BaseModel):
    id: str
    name: str


class CatalogOffice(Strict):
    id: ExternalId
    name: Name
    service_ids: list[ExternalId] = Field(default_factory=list, max_length=MAX_CATALOG)


class CatalogService(Strict):
    id: ExternalId
    name: Name


class CatalogUpdate(Strict):
    """What a provider offers, as the worker read it (a repeated id: the last counts)."""

    offices: list[CatalogOffice] = Field(max_length=MAX_CATALOG)
    services: list[CatalogService] = Field(max_length=MAX_CATALOG)


class CatalogSummary(BaseModel):
    offices: int
    services: int


class Window(Strict):
    date_from: date
    date_to: date
    weekdays: list[Weekday] = Field(default_factory=lambda: list(ALL_WEEKDAYS), min_length=1)
    time_from: LocalTime = time(0, 0)
    time_to: LocalTime = time(23, 59)

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        if self.time_from >= self.time_to:
            raise ValueError("time_from is not before time_to")
        return self


class WatchCreate(Window):
    provider: Slug
    office: ExternalId
    service: ExternalId


class WatchUpdate(Strict):
    """Pause, resume, or change the window (all of it, or none)."""

    paused: bool | None = None
    window: Window | None = None


class WatchRead(BaseModel):
    id: int
    provider: ProviderRead
    office: OfficeRead
    service: ServiceRead
    date_from: date
    date_to: date
    weekdays: list[int]
    time_from: time
    time_to: time
    paused: bool
    paused_reason: str | None
    booking_url: str
    target_state: TargetState
    open_slots: list[datetime] = Field(description="What the target showed at its last poll")
    created_at: datetime


class TargetHealth(BaseModel):
    id: int
    provider: str
    office: OfficeRead
    service: ServiceRead
    state: TargetState
    watchers: int
    polls: int
    last_poll_at: datetime | None
    last_success_at: datetime | None
    failures_in_row: int
    last_error: str | None
    paused_until: datetime | None


class PollReport(Strict):
    outcome: PollOutcome
    slots: list[SlotTime] = Field(default_factory=list, max_length=MAX_SLOTS_PER_POLL)
    error: Annotated[str, StringConstraints(max_length=500), MULTI_LINE] | None = None


class PollSummary(BaseModel):
    target_id: RowId
    state: TargetState
    failures_in_row: int
    opened: int
    gone: int
    notified: int
    withdrawn: int = Field(0, description="Queued messages of slots that went before sending")
    edited: int = Field(0, description="Sent messages of slots that went, edited to say so")
    paused_watches: int


# --- how a person wants to hear of slots --------------------------------------------

MAX_COOLDOWN_S = 86_400
MAX_REPEATS = 3  # "repeat until Seen": at most this many reminders of one slot
REPEAT_EVERY_S = 600  # between reminders


class NoticeMode(StrEnum):
    INSTANT = "instant"  # a message per slot as it opens
    DIGEST = "digest"  # nothing as slots open: the daily digest says what opened and closed


class Preferences(Strict):
    """A person's notification preferences for every watch they have."""

    mode: NoticeMode = NoticeMode.INSTANT
    cooldown_s: int = Field(
        0, ge=0, le=MAX_COOLDOWN_S, description="At most one message per target per this long"
    )
    quiet_from: LocalTime | None = Field(
        None, description="Quiet hours start (the person's time zone); messages wait, not lost"
    )
    quiet_to: LocalTime | None = None
    timezone: TimeZoneName = "Europe/Berlin"
    repeat_until_seen: bool = Field(
        False, description=f"Remind up to {MAX_REPEATS} times until the person taps Seen"
    )
    captcha_notices: bool = Field(
        True, description="Tell the person when a target they watch demands a captcha"
    )
    daily_digest: bool = Field(False, description="A daily message of what opened and closed")
    digest_hour: int = Field(8, ge=0, le=23, description="When the digest comes (local hour)")

    @model_validator(mode="after")
    def _quiet_hours(self) -> Self:
        if (self.quiet_from is None) != (self.quiet_to is None):
            raise ValueError("quiet_from and quiet_to come together")
        if self.quiet_from is not None and self.quiet_from == self.quiet_to:
            raise ValueError("quiet hours start and end at the same time")
        return self


class SlotSeen(Strict):
    """The person tapped Seen on a slot's message: no more reminders of it."""

    target_id: BodyRowId
    slot: SlotTime


class DeliverySummary(BaseModel):
    released: int = Field(description="Held messages sent now (quiet hours, cooldowns, repeats)")
    dropped: int = Field(description="Held messages whose slot went meanwhile")
    digests: int = Field(description="Daily digests queued")

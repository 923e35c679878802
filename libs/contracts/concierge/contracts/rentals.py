"""The rentals desk's models, shared by the api, the bot and the Avito gateway.

Check-in extraction: a guest's message in, the arrival time and date it states out.
``check_in_time`` is ``HH:MM`` (24-hour, the apartment's local time as the guest wrote it)
or null when the message names no clock time (nothing, or only a period such as
"вечером" / "after lunch", which lowers the confidence); ``date`` is the arrival date
when the message states one (relative dates are resolved against ``received_at``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from concierge.contracts.ids import JsonInt
from concierge.contracts.text import MULTI_LINE, SINGLE_LINE

MAX_GUEST_TEXT = 10_000

GuestText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_GUEST_TEXT), MULTI_LINE]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
IsoDate = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
ExtractionMethod = Literal["rules", "llm"]


def _iso_string(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("an ISO-8601 date and time with its offset is expected")  # not 0
    return value


# An ISO-8601 string with a timezone, never a number taken for a Unix time.
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_string)]


class CheckInExtractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: GuestText = Field(description="The guest's message (line breaks and tabs allowed)")
    received_at: IsoDatetime | None = Field(
        None,
        description="When the message was received (timezone-aware ISO-8601); relative "
        "dates (tomorrow, on Friday) count from its date. Default: now (UTC).",
    )


class CheckInExtraction(BaseModel):
    check_in_time: ClockTime | None = Field(
        description="Arrival time HH:MM (24 h), or null when no clock time is stated"
    )
    date: IsoDate | None = Field(description="Arrival date YYYY-MM-DD when stated, else null")
    confidence: float = Field(ge=0, le=1)
    method: ExtractionMethod


# --- landlords' Avito accounts --------------------------------------------------------

AccountAccess = Literal["owner", "full", "read"]


class AccountConnect(BaseModel):
    """Connect an Avito account with its API client id and secret (checked with Avito
    through the gateway before anything is stored; the secret is stored encrypted)."""

    model_config = ConfigDict(extra="forbid")

    client_id: Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE]
    client_secret: Annotated[str, StringConstraints(min_length=1, max_length=500), SINGLE_LINE]


class AccountRead(BaseModel):
    id: int
    avito_user_id: int
    name: str
    access: AccountAccess = Field(description="The caller's rights: owner, full or read")
    revoked: bool = Field(description="Avito refused the credentials: connect again")


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    avito_item_id: int
    title: str
    address: str
    status: str
    url: str


class SyncResult(BaseModel):
    items: int = Field(description="Items imported (new or updated)")
    webhook: str | None = Field(description="The messenger webhook subscribed, or null")
    revoked: bool = Field(description="Avito refused the credentials (the landlord is told once)")


class CohostInvite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    telegram_id: JsonInt = Field(ge=1, le=2**52)
    access: Literal["full", "read"]


class CohostRead(BaseModel):
    telegram_id: int
    access: Literal["full", "read"]


# --- the calendar ------------------------------------------------------------------------

DayState = Literal["free", "closed", "booked"]
MAX_RANGES = 20


class CalendarDay(BaseModel):
    date: date
    state: DayState
    booking_id: int | None = Field(None, description="Avito's booking id on a booked day")


class CalendarMonth(BaseModel):
    item_id: int
    month: str = Field(description="YYYY-MM")
    days: list[CalendarDay]


class DayRange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date_start: date
    date_end: date = Field(description="Exclusive: the first day after the range")


class CalendarChange(BaseModel):
    """Close or open day ranges: from today, within a year, not overlapping."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["close", "open"]
    ranges: list[DayRange] = Field(min_length=1, max_length=MAX_RANGES)


class CalendarPreview(BaseModel):
    closes: list[date] = Field(description="Days this change closes")
    opens: list[date] = Field(description="Days this change opens")
    token: str = Field(description="Send it back with the same change to confirm it")


class CalendarConfirm(CalendarChange):
    token: Annotated[str, StringConstraints(min_length=1, max_length=128), SINGLE_LINE]


class CalendarWritten(BaseModel):
    closed: int = Field(description="Days closed by the change")
    opened: int = Field(description="Days opened by the change")


class BookingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="The api's booking row id (what a guest chat links to)")
    item_id: int
    avito_booking_id: int
    status: str
    check_in: date
    check_out: date
    guest_name: str
    guest_count: int | None


class BookingsPollResult(BaseModel):
    items: int
    new: int
    cancelled: int
    changed: int
    failed: int
    drafts_expired: int = 0

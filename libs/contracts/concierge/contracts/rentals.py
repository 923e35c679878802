"""The rentals desk's models, shared by the api and (to come) the Avito gateway and bot.

Check-in extraction: a guest's message in, the arrival time and date it states out.
``check_in_time`` is ``HH:MM`` (24-hour, the apartment's local time as the guest wrote it)
or null when the message names no clock time (nothing, or only a period such as
"вечером" / "after lunch", which lowers the confidence); ``date`` is the arrival date
when the message states one (relative dates are resolved against ``received_at``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from concierge.contracts.text import MULTI_LINE

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

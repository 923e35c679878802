"""The rentals desk's guest assistant: an item's facts and reply settings, FAQ entries,
chats handed to the landlord, drafts; and the typed client the bot uses (acting for a
user: the service token and ``X-Acting-User``).

Modes: ``auto`` (the reply is sent to the guest), ``draft`` (the proposed reply comes to
the landlord in Telegram with Send / Edit / Skip), ``off`` (nothing is answered). Quiet
hours (hours of the item's IANA time zone, default Europe/Moscow; start inclusive, end
exclusive; may wrap midnight) turn auto replies into drafts; the same zone sets the day and
hour of the "arrivals tomorrow" digest. A chat handed to the landlord gets no replies
until resumed. A draft not acted on within the api's ``RENTALS_DRAFT_TTL_H`` hours expires:
sending it is refused (409, ``draft_expired``).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.contracts.rentals import BookingRead
from concierge.contracts.text import MULTI_LINE

GuestMode = Literal["auto", "draft", "off"]
AnswerAction = Literal["sent", "draft", "handoff", "paused", "off", "ignored", "seen"]
HandoffReason = Literal["asked", "complaint", "unsure"]

MAX_FACTS = 10_000
MAX_FAQ_ENTRIES = 100
FactText = Annotated[str, StringConstraints(max_length=MAX_FACTS), MULTI_LINE]
Question = Annotated[str, StringConstraints(min_length=1, max_length=500), MULTI_LINE]
Answer = Annotated[str, StringConstraints(min_length=1, max_length=2000), MULTI_LINE]
ReplyText = Annotated[str, StringConstraints(min_length=1, max_length=10_000), MULTI_LINE]
Hour = Annotated[int, Field(ge=0, le=23)]
DEFAULT_TIME_ZONE = "Europe/Moscow"


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(name: str) -> str:
    if name not in known_time_zones():
        raise ValueError(f"unknown time zone {name[:64]!r}: an IANA name such as Europe/Moscow")
    return name


TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64),
                     AfterValidator(_known_zone)]  # fmt: skip

ITEMS = "/api/v1/rentals/items"
CHATS = "/api/v1/rentals/chats"
DRAFTS = "/api/v1/rentals/drafts"
# The worker's route (service token): answer one stored guest message.
ANSWER_PATH = "/api/v1/internal/rentals/guest-messages/{message_id}/answer"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuestSettings(Strict):
    """What the landlord may change; fields left out stay as they are."""

    description: FactText | None = None
    house_rules: FactText | None = None
    mode: GuestMode | None = None
    quiet_start: Hour | None = None
    quiet_end: Hour | None = None
    no_quiet_hours: bool = Field(False, description="True: clear the quiet hours")
    time_zone: TimeZone | None = Field(
        None,
        description="IANA name (Europe/Moscow, Asia/Yekaterinburg): quiet hours and the "
        "arrivals digest are in this zone",
    )


class GuestSettingsRead(BaseModel):
    item_id: int
    description: str
    house_rules: str
    mode: GuestMode
    quiet_start: int | None
    quiet_end: int | None
    time_zone: str


class FaqCreate(Strict):
    question: Question
    answer: Answer


class FaqRead(BaseModel):
    id: int
    question: str
    answer: str


class ChatState(BaseModel):
    id: int
    item_avito_id: int | None
    handed_off: bool
    handoff_reason: HandoffReason | None
    booking_id: int | None
    arrival_time: str | None
    arrival_date: date | None


class BookingLink(Strict):
    booking_id: int | None = Field(
        ge=1, le=2**63 - 1, description="The api's booking row id, or null to unlink"
    )


class DraftEdit(Strict):
    text: ReplyText


class DraftResult(BaseModel):
    id: int
    status: Literal["pending", "sent", "skipped", "expired"]
    parts: int = Field(0, description="Messages sent to the guest (a long text is split)")


class AnswerResult(BaseModel):
    action: AnswerAction
    reason: HandoffReason | None = None
    method: Literal["rules", "llm"] | None = None
    arrival_told: bool = False


def _as(telegram_id: int) -> dict[str, str]:
    return {ACTING_USER_HEADER: str(telegram_id)}


class GuestApiClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def settings(self, user: int, item_id: int) -> GuestSettingsRead:
        response = await self.http.request("GET", f"{ITEMS}/{item_id}/guest", headers=_as(user))
        return GuestSettingsRead.model_validate(response.json())

    async def update(self, user: int, item_id: int, change: GuestSettings) -> GuestSettingsRead:
        response = await self.http.request(
            "PATCH",
            f"{ITEMS}/{item_id}/guest",
            json=change.model_dump(exclude_unset=True),
            headers=_as(user),
        )
        return GuestSettingsRead.model_validate(response.json())

    async def add_faq(self, user: int, item_id: int, entry: FaqCreate) -> FaqRead:
        response = await self.http.request(
            "POST", f"{ITEMS}/{item_id}/faq", json=entry.model_dump(), headers=_as(user)
        )
        return FaqRead.model_validate(response.json())

    async def faq(self, user: int, item_id: int) -> list[FaqRead]:
        response = await self.http.request("GET", f"{ITEMS}/{item_id}/faq", headers=_as(user))
        return [FaqRead.model_validate(f) for f in response.json()]

    async def resume(self, user: int, chat_id: int) -> ChatState:
        response = await self.http.request(
            "POST", f"{CHATS}/{chat_id}/resume", headers=_as(user), idempotent=True
        )
        return ChatState.model_validate(response.json())

    async def chat_bookings(self, user: int, chat_id: int) -> list[BookingRead]:
        response = await self.http.request("GET", f"{CHATS}/{chat_id}/bookings", headers=_as(user))
        return [BookingRead.model_validate(b) for b in response.json()]

    async def link_booking(self, user: int, chat_id: int, booking_id: int | None) -> ChatState:
        response = await self.http.request(
            "PUT",
            f"{CHATS}/{chat_id}/booking",
            json={"booking_id": booking_id},
            headers=_as(user),
            idempotent=True,
        )
        return ChatState.model_validate(response.json())

    async def send_draft(self, user: int, draft_id: int, text: str | None = None) -> DraftResult:
        body = DraftEdit(text=text).model_dump() if text is not None else None
        response = await self.http.request(
            "POST", f"{DRAFTS}/{draft_id}/send", json=body, headers=_as(user)
        )
        return DraftResult.model_validate(response.json())

    async def skip_draft(self, user: int, draft_id: int) -> DraftResult:
        response = await self.http.request(
            "POST", f"{DRAFTS}/{draft_id}/skip", headers=_as(user), idempotent=True
        )
        return DraftResult.model_validate(response.json())

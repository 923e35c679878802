"""The Avito gateway's contract: its request and response models and its typed client.

The gateway (``services/avito``, port 8004) is the only service that calls Avito. Other
services reach Avito through it, over HTTP with the service token, naming a landlord's
account by the api's row id (``account_id``); the gateway fetches that account's
credentials from the api when it needs a token (``AvitoCredentials``, from
``CREDENTIALS_PATH``) and keeps the token in Redis.

Errors come as the common error shape with a ``code`` (``AvitoErrorCode``):

- ``avito_credentials_revoked`` (409): Avito refused the account's client id and secret.
  Nothing will work until the landlord connects again; the api tells the landlord once.
- ``avito_paid_overlap`` (409): a calendar write overlaps a paid booking; nothing changed.
  ``params`` names the booking when Avito does.
- ``avito_not_found`` (404): Avito does not know the item or chat (or it is not the
  account's).
- ``avito_rejected`` (422): Avito refused the request as invalid (e.g. a past date).
- ``avito_unavailable`` (503): Avito kept failing (5xx, 429, timeouts) after the retries.

Dates are ``date`` objects; every date range is ``[date_start, date_end)``: the last day
is exclusive, as Avito's own.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from concierge.common.http_client import ServiceClient
from concierge.contracts.text import MULTI_LINE, SINGLE_LINE

GATEWAY_PREFIX = "/v1"
# The api's service-token route the gateway reads an account's credentials from.
CREDENTIALS_PATH = "/api/v1/internal/rentals/accounts/{account_id}/credentials"
# The api's service-token route the gateway forwards guest messages to, in batches.
GUEST_MESSAGES_PATH = "/api/v1/internal/rentals/guest-messages"
# Avito's own limit on one messenger message; longer texts are split by the gateway.
MESSAGE_LIMIT = 1000
MAX_SEND_TEXT = 10_000
MAX_EVENT_BATCH = 100


class AvitoErrorCode(StrEnum):
    CREDENTIALS_REVOKED = "avito_credentials_revoked"
    PAID_OVERLAP = "avito_paid_overlap"
    NOT_FOUND = "avito_not_found"
    REJECTED = "avito_rejected"
    UNAVAILABLE = "avito_unavailable"


ClientId = Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE]
ClientSecret = Annotated[str, StringConstraints(min_length=1, max_length=500), SINGLE_LINE]
AvitoId = Annotated[int, Field(ge=1, le=2**63 - 1)]
ChatId = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9~_:.\-]+$")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Loose(BaseModel):
    """What Avito answers: unknown fields are ignored (Avito adds fields without notice)."""

    model_config = ConfigDict(extra="ignore")


# --- credentials -------------------------------------------------------------------------


class CredentialsCheck(Strict):
    """Onboarding: check a client id and secret before the api stores them."""

    client_id: ClientId
    client_secret: ClientSecret


class AvitoCredentials(Strict):
    """An account's credentials as the api hands them to the gateway (service token only)."""

    client_id: ClientId
    client_secret: ClientSecret
    avito_user_id: AvitoId | None = None


# --- Avito's objects, as the gateway returns them ---------------------------------------


class AvitoSelf(Loose):
    id: AvitoId
    name: str = ""
    email: str | None = None


class AvitoItem(Loose):
    id: AvitoId
    title: str = ""
    address: str = ""
    category: dict[str, Any] | None = None
    price: int | None = None
    status: str = "active"
    url: str = ""


class ItemsPage(Loose):
    items: list[AvitoItem]
    page: int
    per_page: int
    total: int | None = None


class BookingContact(Loose):
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class AvitoBooking(Loose):
    avito_booking_id: AvitoId
    status: Literal["active", "canceled", "pending"]
    check_in: date
    check_out: date
    nights: int | None = None
    guest_count: int | None = None
    base_price: int | None = None
    contact: BookingContact | None = None


class DateRange(Strict):
    date_start: date
    date_end: date = Field(description="Exclusive: the first day after the range")


class IntervalsWrite(Strict):
    """The FULL set of open date ranges for the coming year: every date left out is
    closed by Avito (an empty list closes the whole year). Never send a delta."""

    intervals: list[DateRange] = Field(max_length=400)


class ClosedRange(DateRange):
    comment: Annotated[str, StringConstraints(max_length=200), SINGLE_LINE] = ""


class CloseDatesWrite(Strict):
    """The landlord's own (manual) bookings that close dates: replaces the whole set."""

    bookings: list[ClosedRange] = Field(max_length=400)


class PriceRange(Strict):
    date_from: date
    date_to: date
    night_price: int = Field(ge=1, le=10_000_000)
    minimal_duration: int | None = Field(None, ge=1, le=365)


class PricesWrite(Strict):
    prices: list[PriceRange] = Field(min_length=1, max_length=400)


class WriteResult(Loose):
    result: Literal["success"] = "success"


class ChatRead(Loose):
    id: str
    item_id: int | None = None
    guest_id: int | None = None
    guest_name: str | None = None
    created: int | None = None
    updated: int | None = None
    last_message: str | None = None


class ChatMessageRead(Loose):
    id: str
    author_id: int
    created: int
    type: str = "text"
    text: str | None = None
    is_read: bool | None = None


class SendText(Strict):
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SEND_TEXT), MULTI_LINE]


class SendResult(Loose):
    """The ids of the messages sent: one per part when the text was split."""

    message_ids: list[str]


class WebhookSubscription(Loose):
    url: str


# --- messenger webhook events, forwarded to the api -------------------------------------


class GuestMessageEvent(Strict):
    """A guest's message as the webhook received it (own and system messages dropped)."""

    event_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    account_id: AvitoId
    avito_user_id: AvitoId
    chat_id: ChatId
    message_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    author_id: AvitoId
    item_id: AvitoId | None = None
    created: datetime
    type: Annotated[str, StringConstraints(max_length=40)] = "text"
    text: Annotated[str, StringConstraints(max_length=MAX_SEND_TEXT), MULTI_LINE] = ""


class GuestMessageBatch(Strict):
    events: list[GuestMessageEvent] = Field(min_length=1, max_length=MAX_EVENT_BATCH)


class GuestMessageBatchResult(Strict):
    stored: int = Field(description="Messages new to the api (the rest were already stored)")


# --- the typed client --------------------------------------------------------------------


def _account(account_id: int) -> str:
    return f"{GATEWAY_PREFIX}/accounts/{account_id}"


def _dates(value: date | None) -> str | None:
    return value.isoformat() if value else None


class AvitoGatewayClient:
    """The gateway's routes for other services. Errors: ``ServiceResponseError`` (its
    ``code`` an ``AvitoErrorCode``) or ``ServiceUnavailable``."""

    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def check(self, credentials: CredentialsCheck) -> AvitoSelf:
        """The account these credentials open (nothing is stored or cached)."""
        response = await self.http.request(
            "POST", f"{GATEWAY_PREFIX}/check", json=credentials.model_dump(), idempotent=True
        )
        return AvitoSelf.model_validate(response.json())

    async def self(self, account_id: int) -> AvitoSelf:
        response = await self.http.request("GET", f"{_account(account_id)}/self")
        return AvitoSelf.model_validate(response.json())

    async def items(self, account_id: int, *, page: int = 1, per_page: int = 50) -> ItemsPage:
        response = await self.http.request(
            "GET", f"{_account(account_id)}/items", params={"page": page, "per_page": per_page}
        )
        return ItemsPage.model_validate(response.json())

    async def bookings(
        self, account_id: int, item_id: int, date_start: date, date_end: date
    ) -> list[AvitoBooking]:
        response = await self.http.request(
            "GET",
            f"{_account(account_id)}/items/{item_id}/bookings",
            params={"date_start": _dates(date_start), "date_end": _dates(date_end)},
        )
        return [AvitoBooking.model_validate(b) for b in response.json()]

    async def set_intervals(
        self, account_id: int, item_id: int, write: IntervalsWrite
    ) -> WriteResult:
        response = await self.http.request(
            "PUT",
            f"{_account(account_id)}/items/{item_id}/intervals",
            json=write.model_dump(mode="json"),
        )
        return WriteResult.model_validate(response.json())

    async def close_dates(
        self, account_id: int, item_id: int, write: CloseDatesWrite
    ) -> WriteResult:
        response = await self.http.request(
            "PUT",
            f"{_account(account_id)}/items/{item_id}/closed",
            json=write.model_dump(mode="json"),
        )
        return WriteResult.model_validate(response.json())

    async def set_prices(self, account_id: int, item_id: int, write: PricesWrite) -> WriteResult:
        response = await self.http.request(
            "PUT",
            f"{_account(account_id)}/items/{item_id}/prices",
            json=write.model_dump(mode="json"),
        )
        return WriteResult.model_validate(response.json())

    async def chats(self, account_id: int, *, limit: int = 50, offset: int = 0) -> list[ChatRead]:
        response = await self.http.request(
            "GET", f"{_account(account_id)}/chats", params={"limit": limit, "offset": offset}
        )
        return [ChatRead.model_validate(c) for c in response.json()]

    async def messages(
        self, account_id: int, chat_id: str, *, limit: int = 50, offset: int = 0
    ) -> list[ChatMessageRead]:
        response = await self.http.request(
            "GET",
            f"{_account(account_id)}/chats/{chat_id}/messages",
            params={"limit": limit, "offset": offset},
        )
        return [ChatMessageRead.model_validate(m) for m in response.json()]

    async def mark_read(self, account_id: int, chat_id: str) -> None:
        await self.http.request(
            "POST", f"{_account(account_id)}/chats/{chat_id}/read", idempotent=True
        )

    async def send(self, account_id: int, chat_id: str, text: str) -> SendResult:
        """Send a text (split on sentence boundaries into parts of ≤ 1000 characters).
        Not retried here: a retry could send the text twice."""
        response = await self.http.request(
            "POST",
            f"{_account(account_id)}/chats/{chat_id}/messages",
            json=SendText(text=text).model_dump(),
        )
        return SendResult.model_validate(response.json())

    async def subscribe_webhook(self, account_id: int) -> WebhookSubscription:
        """Point the account's messenger webhook at this gateway (idempotent)."""
        response = await self.http.request(
            "POST", f"{_account(account_id)}/webhook", idempotent=True
        )
        return WebhookSubscription.model_validate(response.json())

    async def forget_token(self, account_id: int) -> None:
        """Drop the cached token (after the account's credentials changed)."""
        await self.http.request("DELETE", f"{_account(account_id)}/token")

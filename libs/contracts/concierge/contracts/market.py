"""The market desk's API models: Mini App auth, listings, photos, moderation, the
conversations between buyers and sellers, and reports.

Shared by ``api`` (which serves them under /api/v1), the Mini App (webapp/, which
mirrors them in TypeScript) and ``bot`` (which announces and links listings, relays
conversations and moderates).

Status: draft → pending → approved | rejected; approved → expired (its time ran out;
renewing publishes it again); any of them → archived. Editing a rejected, approved or
expired listing sends it back to pending (moderation again). Users never write status,
owner or published_at. An approved listing is also available, reserved or sold
(``availability``), which only its seller changes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)

from concierge.contracts.identity import UserRead
from concierge.contracts.ids import JsonInt
from concierge.contracts.text import MULTI_LINE, SINGLE_LINE

MAX_PHOTOS = 10
MAX_ACTIVE_LISTINGS = 50
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # about 7,000 × 5,700; a 20,000² PNG is refused
UPLOAD_URL_TTL_S = 300
# A conversation: what one relayed message may hold, and how fast one side may write.
MAX_RELAYED_TEXT = 4096  # a Telegram message; the relay splits what does not fit
RELAY_LIMIT = 30  # messages from one side of a conversation per RELAY_WINDOW_MIN
RELAY_WINDOW_MIN = 10
NEW_INQUIRIES_PER_DAY = 20  # conversations one buyer may start in 24 hours


class ListingStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    ARCHIVED = "archived"


class Availability(StrEnum):
    """Whether an approved listing can still be bought (the seller says)."""

    AVAILABLE = "available"
    RESERVED = "reserved"
    SOLD = "sold"


class PhotoFormat(StrEnum):
    """What a photo may be (its first bytes decide, not its name or declared type)."""

    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WebP"
    GIF = "GIF"


class Category(StrEnum):
    ELECTRONICS = "electronics"
    VEHICLES = "vehicles"
    HOME = "home"
    CLOTHING = "clothing"
    KIDS = "kids"
    HOBBY = "hobby"
    SERVICES = "services"
    REALTY = "realty"
    OTHER = "other"


class Currency(StrEnum):
    RUB = "RUB"
    USD = "USD"
    EUR = "EUR"


Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120), SINGLE_LINE
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), MULTI_LINE]
City = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64), SINGLE_LINE
]
MAX_PRICE = Decimal("1000000000")
# A number, or a decimal string (exact to the cent); the schema says both precisely.
Price = Annotated[
    Decimal,
    Field(ge=0, le=MAX_PRICE, max_digits=12, decimal_places=2),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1_000_000_000, "multipleOf": 0.01},
                {"type": "string", "pattern": r"^(1000000000(\.0{1,2})?|\d{1,9}(\.\d{1,2})?)$"},
            ],
            "description": "0 to 1,000,000,000, to the cent",
        }
    ),
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500), MULTI_LINE
]


def _unchanged() -> Any:
    """An optional field that is not nullable: absent means unchanged, null is refused."""
    return Field(default=None, json_schema_extra=_no_default)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class AuthTokenRead(BaseModel):
    """``POST /api/v1/auth/telegram`` with ``Authorization: tma <initData>``."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_in: int
    user: UserRead


class ListingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description = ""
    category: Category
    price: Price
    currency: Currency | None = Field(
        None,
        description="Left out: the one the seller's city uses, else that of their last "
        "listing, else their language's (GET /listings/suggested-currency says which)",
    )
    city: City
    allow_direct_contact: StrictBool = Field(
        False, description="Buyers also get a t.me link to the seller (who has a username)"
    )


class ListingUpdate(BaseModel):
    """Every field optional; only the fields sent change. A field cannot be null: leave
    it out to keep it."""

    model_config = ConfigDict(extra="forbid")

    title: Title = _unchanged()
    description: Description = _unchanged()
    category: Category = _unchanged()
    price: Price = _unchanged()
    currency: Currency = _unchanged()
    city: City = _unchanged()
    allow_direct_contact: StrictBool = _unchanged()


class PhotoRead(BaseModel):
    id: int
    position: int
    url: str | None = Field(description="The re-encoded image; None while processing")
    thumbnail_url: str | None = Field(description="None until the worker made it")
    width: int | None
    height: int | None
    ready: bool


class ListingStats(BaseModel):
    """What the seller sees: how many people looked and how many wrote."""

    views: int = Field(description="People (not the seller) who opened the listing")
    contacts: int = Field(description="Buyers who started a conversation about it")


class ListingRead(BaseModel):
    id: int
    title: str
    description: str
    category: Category
    price: Decimal
    currency: Currency
    city: str
    status: ListingStatus
    availability: Availability
    revision: int = Field(description="Grows with every change of the owner's")
    rejection_reason: str | None
    photos: list[PhotoRead]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    expires_at: datetime | None = Field(description="When a published listing leaves search")
    is_mine: bool = Field(description="The caller owns it (edit and archive allowed)")
    allow_direct_contact: bool
    seller_link: str | None = Field(
        description="t.me link to the seller, for others, when the seller allows it"
    )
    stats: ListingStats | None = Field(description="For the seller and admins only")


class ListingPage(BaseModel):
    items: list[ListingRead]
    next_cursor: str | None


class UploadTicket(BaseModel):
    """How to upload one photo: a multipart POST of ``fields`` plus the file as ``file``.

    S3 (MinIO): a presigned POST policy (size ≤ 5 MB, ``image/`` type, a key the
    server chose, 5 minutes). Local disk (make dev): a signed, expiring api URL with
    the same limits. Then ``POST …/photos/{photo_id}/complete``.
    """

    photo_id: int
    url: str
    fields: dict[str, str]
    max_bytes: int = MAX_PHOTO_BYTES
    formats: list[PhotoFormat] = Field(default_factory=lambda: list(PhotoFormat))
    expires_at: datetime


Revision = Annotated[
    JsonInt,
    Field(ge=1, le=2**31 - 1, description="The listing's revision the admin reviewed"),
]


class ModerationApproval(BaseModel):
    """Approve the listing as the admin saw it: if the owner changed it since (another
    revision), the answer is 409 and it stays in the queue."""

    model_config = ConfigDict(extra="forbid")

    revision: Revision


class ModerationDecision(BaseModel):
    """Reject the listing as the admin saw it (409 if it changed since), with a reason
    the owner is told."""

    model_config = ConfigDict(extra="forbid")

    revision: Revision
    reason: Reason


class AuditEntry(BaseModel):
    id: int
    listing_id: int
    actor_telegram_id: int | None = Field(description="None: the system (expiry)")
    action: str = Field(
        description="submitted, approved, rejected, archived, edited, expired, renewed, "
        "reports_dismissed"
    )
    reason: str | None
    at: datetime


class AvailabilityChange(BaseModel):
    """The seller marks a published listing available again, reserved or sold."""

    model_config = ConfigDict(extra="forbid")

    availability: Availability


class CurrencySuggestion(BaseModel):
    currency: Currency = Field(description="What a new listing of the caller's gets")


class ModerationSummary(BaseModel):
    """What waits for the admins."""

    pending: int = Field(description="Listings waiting for moderation")
    reported: int = Field(description="Published listings with open reports")


# --- conversations between a buyer and a seller ------------------------------------


class InquiryRole(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"


class InquiryStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class InquiryRead(BaseModel):
    """A conversation about a listing, as one of its two sides sees it. Neither side sees
    the other's Telegram account: the bot relays the messages."""

    id: int
    listing_id: int
    listing_title: str
    role: InquiryRole = Field(description="The caller's side")
    status: InquiryStatus
    buyer_number: int = Field(description="The n-th buyer who wrote about the listing")
    seller_link: str | None = Field(
        description="t.me link to the seller, for the buyer, when the seller allows it"
    )


RelayRef = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9:_-]+$"),
    Field(description="The sender's message (``tg:<update_id>``): a retry relays it once"),
]


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("the text is blank")
    return text


RelayText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_RELAYED_TEXT),
    MULTI_LINE,
    AfterValidator(_not_blank),
    Field(json_schema_extra={"allOf": [{"pattern": r"\S"}]}),
]


class RelayMessage(BaseModel):
    """Text the caller wrote while a conversation was open in their chat."""

    model_config = ConfigDict(extra="forbid")

    text: RelayText
    ref: RelayRef


class RelayOutcome(BaseModel):
    relayed: bool = Field(
        description="False: the caller is in no conversation (the text is theirs, a search)"
    )
    inquiry: InquiryRead | None = None
    first: bool = Field(False, description="The first message since the caller opened it")


# --- reports ------------------------------------------------------------------------


class ReportReason(StrEnum):
    FRAUD = "fraud"
    PROHIBITED = "prohibited"
    MISLEADING = "misleading"
    DUPLICATE = "duplicate"
    OFFENSIVE = "offensive"
    OTHER = "other"


class ReportCreate(BaseModel):
    """A buyer tells the moderators what is wrong with a published listing."""

    model_config = ConfigDict(extra="forbid")

    reason: ReportReason
    comment: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=500), MULTI_LINE
    ] = ""


class ReportRead(BaseModel):
    id: int
    listing_id: int
    reason: ReportReason
    comment: str
    created_at: datetime


class ReportedListing(BaseModel):
    listing: ListingRead
    reports: list[ReportRead] = Field(description="Its open reports, oldest first")


class ReportedPage(BaseModel):
    items: list[ReportedListing]
    next_cursor: str | None


class ReportsResolved(BaseModel):
    resolved: int = Field(description="Open reports closed by the decision")


class ExpirySweep(BaseModel):
    """What one pass over published listings did (the worker asks every few minutes)."""

    reminded: int = Field(description="Sellers told their listing expires soon")
    expired: int = Field(description="Listings whose time ran out, taken out of search")

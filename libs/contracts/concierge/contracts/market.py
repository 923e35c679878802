"""The market desk's API models: Mini App auth, listings, photos, moderation.

Shared by ``api`` (which serves them under /api/v1), the Mini App (webapp/, which
mirrors them in TypeScript) and ``bot`` (which announces and links listings).

Status: draft → pending → approved | rejected; any of them → archived. Editing a
rejected or approved listing sends it back to pending (moderation again). Users
never write status, owner or published_at.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
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


class ListingStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ARCHIVED = "archived"


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
    currency: Currency = Currency.RUB
    city: City


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


class PhotoRead(BaseModel):
    id: int
    position: int
    url: str | None = Field(description="The re-encoded image; None while processing")
    thumbnail_url: str | None = Field(description="None until the worker made it")
    width: int | None
    height: int | None
    ready: bool


class ListingRead(BaseModel):
    id: int
    title: str
    description: str
    category: Category
    price: Decimal
    currency: Currency
    city: str
    status: ListingStatus
    revision: int = Field(description="Grows with every change of the owner's")
    rejection_reason: str | None
    photos: list[PhotoRead]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    is_mine: bool = Field(description="The caller owns it (edit and archive allowed)")


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
    actor_telegram_id: int
    action: str = Field(description="submitted, approved, rejected, archived, edited")
    reason: str | None
    at: datetime

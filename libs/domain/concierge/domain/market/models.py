"""Listings, their photos and the moderation audit log.

A listing's text is also a ``documents`` row of kind ``listing`` while it is approved
(``document_id``), so hybrid search finds it next to posts and articles; the filters
(category, city, price) are read from this table.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from concierge.contracts.market import Category, Currency, ListingStatus
from concierge.db import Base, TimestampMixin


class PhotoStatus:
    AWAITING_UPLOAD = "awaiting_upload"  # a ticket was issued; nothing stored yet
    PROCESSING = "processing"  # checked and re-encoded; the thumbnail is being made
    READY = "ready"


def _allowed(column: str, values: type[Category] | type[Currency] | type[ListingStatus]) -> str:
    return f"{column} IN ({', '.join(repr(member.value) for member in values)})"


class Listing(TimestampMixin, Base):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(_allowed("status", ListingStatus), name="status_allowed"),
        CheckConstraint(_allowed("category", Category), name="category_allowed"),
        CheckConstraint(_allowed("currency", Currency), name="currency_allowed"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        Index("ix_listings_owner_status", "owner_id", "status"),
        # The moderation queue, oldest first.
        Index("ix_listings_pending", "submitted_at", "id",
              postgresql_where=sql("status = 'pending'")),
        Index("ix_listings_approved", "category", "city",
              postgresql_where=sql("status = 'approved'")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    category: Mapped[str] = mapped_column(String(32))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default=Currency.RUB)
    city: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ListingStatus.DRAFT)
    # Every change of the owner's (fields or photos) makes a new revision; moderation
    # decides on the revision the admin saw.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=sql("1"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), unique=True
    )


class ListingPhoto(Base):
    __tablename__ = "listing_photos"
    __table_args__ = (
        CheckConstraint(
            "status IN ('awaiting_upload', 'processing', 'ready')", name="status_allowed"
        ),
        Index("ix_listing_photos_listing", "listing_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=PhotoStatus.AWAITING_UPLOAD)
    # Keys in the storage backend, chosen by the server: the upload, the re-encoded image
    # and its thumbnail.
    upload_key: Mapped[str] = mapped_column(Text, unique=True)
    image_key: Mapped[str | None] = mapped_column(Text)
    thumbnail_key: Mapped[str | None] = mapped_column(Text)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    upload_expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ListingAudit(Base):
    """Who did what to a listing: submitted, approved, rejected, archived, edited."""

    __tablename__ = "listing_audit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)

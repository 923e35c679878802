"""Listings, their photos and the moderation audit log; who viewed a listing, the
conversations between buyers and sellers, sellers' blocks, and buyers' reports.

A listing's text is also a ``documents`` row of kind ``listing`` while it is approved
(``document_id``), so hybrid search finds it next to posts and articles; the filters
(category, city, price) and its availability are read from this table.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from concierge.contracts.market import (
    Availability,
    Category,
    Currency,
    InquiryStatus,
    ListingStatus,
    ReportReason,
)
from concierge.db import Base, TimestampMixin


class PhotoStatus:
    AWAITING_UPLOAD = "awaiting_upload"  # a ticket was issued; nothing stored yet
    PROCESSING = "processing"  # checked and re-encoded; the thumbnail is being made
    READY = "ready"


def _allowed(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(member.value) for member in values)})"


class ReportStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"  # an admin found nothing wrong
    UPHELD = "upheld"  # the listing was taken down


class Listing(TimestampMixin, Base):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(_allowed("status", ListingStatus), name="status_allowed"),
        CheckConstraint(_allowed("category", Category), name="category_allowed"),
        CheckConstraint(_allowed("currency", Currency), name="currency_allowed"),
        CheckConstraint(_allowed("availability", Availability), name="availability_allowed"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        Index("ix_listings_owner_status", "owner_id", "status"),
        # The moderation queue, oldest first.
        Index("ix_listings_pending", "submitted_at", "id",
              postgresql_where=sql("status = 'pending'")),
        Index("ix_listings_approved", "category", "city",
              postgresql_where=sql("status = 'approved'")),
        # The expiry sweep: published listings by the time they run out.
        Index("ix_listings_expiring", "expires_at",
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
    # The seller's word on an approved listing; not an edit (no new revision, no moderation).
    availability: Mapped[str] = mapped_column(
        String(16), default=Availability.AVAILABLE, server_default=Availability.AVAILABLE.value
    )
    allow_direct_contact: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sql("false")
    )
    # Every change of the owner's (fields or photos) makes a new revision; moderation
    # decides on the revision the admin saw.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=sql("1"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # A published listing leaves search at expires_at; its seller is reminded before.
    expires_at: Mapped[datetime | None]
    expiry_reminded_at: Mapped[datetime | None]
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
    """Who did what to a listing: submitted, approved, rejected, archived, edited,
    renewed, expired (by nobody: the system), reports_dismissed."""

    __tablename__ = "listing_audit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)


class ListingView(Base):
    """Someone other than the seller opened the listing (once per person)."""

    __tablename__ = "listing_views"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    viewer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(server_default=func.now())


class Inquiry(Base):
    """A buyer's conversation with a listing's seller, relayed by the bot so neither
    sees the other's account. One per buyer and listing: writing again reopens it."""

    __tablename__ = "inquiries"
    __table_args__ = (
        CheckConstraint(_allowed("status", InquiryStatus), name="status_allowed"),
        UniqueConstraint("listing_id", "buyer_id"),
        Index("ix_inquiries_buyer_created", "buyer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The seller calls them "buyer 1", "buyer 2", … in the order they first wrote.
    buyer_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=InquiryStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The seller is told of a new buyer once, with their first message.
    seller_told_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class InquiryMessage(Base):
    """One relayed message: who sent it and when (the text is not kept: it went to the
    outbox for the other side). For flood control and so a retry relays it once."""

    __tablename__ = "inquiry_messages"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        Index("ix_inquiry_messages_sender", "inquiry_id", "sender_id", "at"),
        UniqueConstraint("sender_id", "ref"),
    )


class ConversationFocus(Base):
    """The conversation a user's plain text goes to (chosen with "Write to the seller"
    or "Reply"); at most one per user, forgotten after a while without a message."""

    __tablename__ = "conversation_focus"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    focused_at: Mapped[datetime]
    last_message_at: Mapped[datetime | None]


class SellerBlock(Base):
    """A seller takes no more messages from this buyer (about any of their listings)."""

    __tablename__ = "seller_blocks"

    seller_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    buyer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(server_default=func.now())


class ListingReport(Base):
    """A buyer's report of a published listing; it waits in moderation until an admin
    dismisses it or takes the listing down."""

    __tablename__ = "listing_reports"
    __table_args__ = (
        CheckConstraint(_allowed("reason", ReportReason), name="reason_allowed"),
        CheckConstraint(_allowed("status", ReportStatus), name="status_allowed"),
        UniqueConstraint("listing_id", "reporter_id"),
        Index("ix_listing_reports_open", "listing_id", "created_at",
              postgresql_where=sql("status = 'open'")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

"""market: availability, expiry and direct contact of listings; views, conversations
between buyers and sellers, sellers' blocks, reports

Revision ID: 0009
Revises: 0007 (0008 once the search branch is merged: set down_revision to "0008")
Create Date: 2026-12-12 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES_BEFORE = "status IN ('draft', 'pending', 'approved', 'rejected', 'archived')"
STATUSES = "status IN ('draft', 'pending', 'approved', 'rejected', 'expired', 'archived')"


def _timestamp(name: str, nullable: bool = True, default: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()") if default else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.add_column(
        "listings",
        sa.Column("availability", sa.String(16), server_default="available", nullable=False),
    )
    op.add_column(
        "listings",
        sa.Column(
            "allow_direct_contact", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column("listings", _timestamp("expires_at"))
    op.add_column("listings", _timestamp("expiry_reminded_at"))
    op.create_check_constraint(
        "availability_allowed", "listings", "availability IN ('available', 'reserved', 'sold')"
    )
    op.drop_constraint(op.f("ck_listings_status_allowed"), "listings", type_="check")
    op.create_check_constraint("status_allowed", "listings", STATUSES)
    # Published listings get their full lifetime from now on.
    # (30 days: API_LISTING_LIFETIME_S's default)
    op.execute(
        "UPDATE listings SET expires_at = greatest(published_at, now()) + interval '30 days' "
        "WHERE status = 'approved'"
    )
    # The system acts too (a listing expires): no actor; and longer action names.
    op.alter_column("listing_audit", "actor_id", existing_type=sa.BigInteger(), nullable=True)
    op.alter_column("listing_audit", "action", existing_type=sa.String(16), type_=sa.String(32))
    op.create_index(
        "ix_listings_expiring",
        "listings",
        ["expires_at"],
        postgresql_where=sa.text("status = 'approved'"),
    )

    op.create_table(
        "listing_views",
        sa.Column(
            "listing_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "listings.id", name="fk_listing_views_listing_id_listings", ondelete="CASCADE"
            ),
            primary_key=True,
        ),
        sa.Column(
            "viewer_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", name="fk_listing_views_viewer_id_users", ondelete="CASCADE"),
            primary_key=True,
        ),
        _timestamp("at", nullable=False, default=True),
        sa.PrimaryKeyConstraint("listing_id", "viewer_id", name="pk_listing_views"),
    )

    op.create_table(
        "inquiries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "listing_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "listings.id", name="fk_inquiries_listing_id_listings", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column(
            "buyer_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", name="fk_inquiries_buyer_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "seller_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", name="fk_inquiries_seller_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("buyer_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _timestamp("created_at", nullable=False, default=True),
        _timestamp("seller_told_at"),
        _timestamp("closed_at"),
        sa.Column(
            "closed_by_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", name="fk_inquiries_closed_by_id_users", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_inquiries_status_allowed"),
        sa.PrimaryKeyConstraint("id", name="pk_inquiries"),
        sa.UniqueConstraint("listing_id", "buyer_id", name="uq_inquiries_listing_id_buyer_id"),
    )
    op.create_index("ix_inquiries_buyer_created", "inquiries", ["buyer_id", "created_at"])

    op.create_table(
        "inquiry_messages",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "inquiry_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "inquiries.id", name="fk_inquiry_messages_inquiry_id_inquiries", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column(
            "sender_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "users.id", name="fk_inquiry_messages_sender_id_users", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("ref", sa.String(64), nullable=False),
        _timestamp("at", nullable=False, default=True),
        sa.PrimaryKeyConstraint("id", name="pk_inquiry_messages"),
        sa.UniqueConstraint("sender_id", "ref", name="uq_inquiry_messages_sender_id_ref"),
    )
    op.create_index(
        "ix_inquiry_messages_sender", "inquiry_messages", ["inquiry_id", "sender_id", "at"]
    )

    op.create_table(
        "conversation_focus",
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "users.id", name="fk_conversation_focus_user_id_users", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column(
            "inquiry_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "inquiries.id",
                name="fk_conversation_focus_inquiry_id_inquiries",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        _timestamp("focused_at", nullable=False),
        _timestamp("last_message_at"),
        sa.PrimaryKeyConstraint("user_id", name="pk_conversation_focus"),
    )

    op.create_table(
        "seller_blocks",
        sa.Column(
            "seller_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", name="fk_seller_blocks_seller_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "buyer_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", name="fk_seller_blocks_buyer_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        _timestamp("at", nullable=False, default=True),
        sa.PrimaryKeyConstraint("seller_id", "buyer_id", name="pk_seller_blocks"),
    )

    op.create_table(
        "listing_reports",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "listing_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "listings.id", name="fk_listing_reports_listing_id_listings", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column(
            "reporter_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "users.id", name="fk_listing_reports_reporter_id_users", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _timestamp("created_at", nullable=False, default=True),
        _timestamp("resolved_at"),
        sa.Column(
            "resolved_by_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "users.id", name="fk_listing_reports_resolved_by_id_users", ondelete="SET NULL"
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "reason IN ('fraud', 'prohibited', 'misleading', 'duplicate', 'offensive', 'other')",
            name="ck_listing_reports_reason_allowed",
        ),
        sa.CheckConstraint(
            "status IN ('open', 'dismissed', 'upheld')", name="ck_listing_reports_status_allowed"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_listing_reports"),
        sa.UniqueConstraint(
            "listing_id", "reporter_id", name="uq_listing_reports_listing_id_reporter_id"
        ),
    )
    op.create_index(
        "ix_listing_reports_open",
        "listing_reports",
        ["listing_id", "created_at"],
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_table("listing_reports")
    op.drop_table("seller_blocks")
    op.drop_table("conversation_focus")
    op.drop_table("inquiry_messages")
    op.drop_table("inquiries")
    op.drop_table("listing_views")
    op.drop_index("ix_listings_expiring", table_name="listings")
    op.execute("DELETE FROM listing_audit WHERE actor_id IS NULL")
    op.alter_column("listing_audit", "action", existing_type=sa.String(32), type_=sa.String(16))
    op.alter_column("listing_audit", "actor_id", existing_type=sa.BigInteger(), nullable=False)
    op.execute("UPDATE listings SET status = 'approved' WHERE status = 'expired'")
    op.drop_constraint(op.f("ck_listings_status_allowed"), "listings", type_="check")
    op.create_check_constraint("status_allowed", "listings", STATUSES_BEFORE)
    op.drop_constraint(op.f("ck_listings_availability_allowed"), "listings", type_="check")
    for column in ("expiry_reminded_at", "expires_at", "allow_direct_contact", "availability"):
        op.drop_column("listings", column)

"""rentals guest assistant: an item's facts (description, house rules, FAQ), its reply
mode and quiet hours; a chat's hand-off, linked booking and stated arrival; drafts

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels = None
depends_on = None


def _created() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.add_column(
        "rentals_items",
        sa.Column("description", sa.Text(), server_default=sa.text("''"), nullable=False),
    )
    op.add_column(
        "rentals_items",
        sa.Column("house_rules", sa.Text(), server_default=sa.text("''"), nullable=False),
    )
    op.add_column(
        "rentals_items",
        sa.Column("guest_mode", sa.String(8), server_default=sa.text("'off'"), nullable=False),
    )
    op.add_column("rentals_items", sa.Column("quiet_start", sa.SmallInteger(), nullable=True))
    op.add_column("rentals_items", sa.Column("quiet_end", sa.SmallInteger(), nullable=True))
    op.create_check_constraint(
        "guest_mode_allowed", "rentals_items", "guest_mode IN ('auto', 'draft', 'off')"
    )
    op.create_table(
        "rentals_faq",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("question", sa.String(500), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(["item_id"], ["rentals_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rentals_faq_item_id", "rentals_faq", ["item_id"])
    op.add_column("rentals_bookings", sa.Column("arrival_time", sa.String(5), nullable=True))
    op.add_column("rentals_bookings", sa.Column("arrival_date", sa.Date(), nullable=True))
    op.add_column(
        "rentals_chats",
        sa.Column(
            "booking_id",
            sa.BigInteger(),
            sa.ForeignKey("rentals_bookings.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.add_column(
        "rentals_chats", sa.Column("handed_off_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("rentals_chats", sa.Column("handoff_reason", sa.String(16), nullable=True))
    op.add_column("rentals_chats", sa.Column("arrival_time", sa.String(5), nullable=True))
    op.add_column("rentals_chats", sa.Column("arrival_date", sa.Date(), nullable=True))
    op.create_table(
        "rentals_drafts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(8), server_default=sa.text("'pending'"), nullable=False),
        _created(),
        sa.CheckConstraint("status IN ('pending', 'sent', 'skipped')", name="status_allowed"),
        sa.ForeignKeyConstraint(["chat_id"], ["rentals_chats.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["rentals_messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rentals_drafts_chat_id", "rentals_drafts", ["chat_id"])


def downgrade() -> None:
    op.drop_table("rentals_drafts")
    for column in ("arrival_date", "arrival_time", "handoff_reason", "handed_off_at", "booking_id"):
        op.drop_column("rentals_chats", column)
    op.drop_column("rentals_bookings", "arrival_date")
    op.drop_column("rentals_bookings", "arrival_time")
    op.drop_table("rentals_faq")
    op.drop_constraint("guest_mode_allowed", "rentals_items", type_="check")
    for column in ("quiet_end", "quiet_start", "guest_mode", "house_rules", "description"):
        op.drop_column("rentals_items", column)

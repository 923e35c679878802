"""rentals: landlords' Avito accounts (credentials encrypted), co-hosts, items with the
days closed, bookings polled, guests' chats and messages

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "rentals_accounts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("avito_user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(200), server_default=sa.text("''"), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "avito_user_id"),
    )
    op.create_index("ix_rentals_accounts_owner_id", "rentals_accounts", ["owner_id"])
    op.create_index("ix_rentals_accounts_avito_user_id", "rentals_accounts", ["avito_user_id"])
    op.create_table(
        "rentals_cohosts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("access", sa.String(8), nullable=False),
        _created(),
        sa.CheckConstraint("access IN ('read', 'full')", name="access_allowed"),
        sa.ForeignKeyConstraint(["account_id"], ["rentals_accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "user_id"),
    )
    op.create_index("ix_rentals_cohosts_account_id", "rentals_cohosts", ["account_id"])
    op.create_index("ix_rentals_cohosts_user_id", "rentals_cohosts", ["user_id"])
    op.create_table(
        "rentals_items",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("avito_item_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(500), server_default=sa.text("''"), nullable=False),
        sa.Column("address", sa.String(500), server_default=sa.text("''"), nullable=False),
        sa.Column("status", sa.String(32), server_default=sa.text("'active'"), nullable=False),
        sa.Column("url", sa.String(2048), server_default=sa.text("''"), nullable=False),
        sa.Column(
            "closed_days",
            postgresql.JSONB(),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        _created(),
        sa.ForeignKeyConstraint(["account_id"], ["rentals_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "avito_item_id"),
    )
    op.create_index("ix_rentals_items_account_id", "rentals_items", ["account_id"])
    op.create_table(
        "rentals_bookings",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.Column("avito_booking_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("check_in", sa.Date(), nullable=False),
        sa.Column("check_out", sa.Date(), nullable=False),
        sa.Column("guest_name", sa.String(200), server_default=sa.text("''"), nullable=False),
        sa.Column("guest_count", sa.Integer(), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(["item_id"], ["rentals_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "avito_booking_id"),
    )
    op.create_index("ix_rentals_bookings_item_id", "rentals_bookings", ["item_id"])
    op.create_table(
        "rentals_chats",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("avito_chat_id", sa.String(200), nullable=False),
        sa.Column("avito_item_id", sa.BigInteger(), nullable=True),
        sa.Column("guest_avito_id", sa.BigInteger(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(["account_id"], ["rentals_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "avito_chat_id"),
    )
    op.create_index("ix_rentals_chats_account_id", "rentals_chats", ["account_id"])
    op.create_table(
        "rentals_messages",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("avito_message_id", sa.String(200), nullable=False),
        sa.Column("author_avito_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(40), server_default=sa.text("'text'"), nullable=False),
        sa.Column("text", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outgoing", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["rentals_chats.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "avito_message_id"),
    )
    op.create_index("ix_rentals_messages_chat_id", "rentals_messages", ["chat_id"])


def downgrade() -> None:
    op.drop_table("rentals_messages")
    op.drop_table("rentals_chats")
    op.drop_table("rentals_bookings")
    op.drop_table("rentals_items")
    op.drop_table("rentals_cohosts")
    op.drop_table("rentals_accounts")

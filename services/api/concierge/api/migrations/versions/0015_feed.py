"""feed: readers, their channels, ratings, posts seen, relevance models, nudges

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"),
                     nullable=False)  # fmt: skip


def _user() -> sa.Column[object]:
    return sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                     nullable=False)  # fmt: skip


def _document(nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column[object]:
    return sa.Column("document_id", sa.BigInteger(),
                     sa.ForeignKey("documents.id", ondelete=ondelete), nullable=nullable)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "feed_readers",
        _user(),
        _now("last_active_at"),
        sa.Column("ignored_nudges", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_nudged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("quiet_from", sa.SmallInteger(), nullable=True),
        sa.Column("quiet_to", sa.SmallInteger(), nullable=True),
        sa.Column("timezone", sa.String(64), server_default="UTC", nullable=False),
        _now("created_at"),
        sa.PrimaryKeyConstraint("user_id"),
        sa.CheckConstraint("(quiet_from IS NULL) = (quiet_to IS NULL)", name="quiet_hours_pair"),
    )
    op.create_index(op.f("ix_feed_readers_last_active_at"), "feed_readers", ["last_active_at"])
    op.create_table(
        "feed_channels",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        _user(),
        sa.Column(
            "source_id",
            sa.BigInteger(),
            sa.ForeignKey("sources.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _now("created_at"),
        sa.UniqueConstraint("user_id", "source_id"),
    )
    op.create_index(op.f("ix_feed_channels_user_id"), "feed_channels", ["user_id"])
    op.create_index(op.f("ix_feed_channels_source_id"), "feed_channels", ["source_id"])
    op.create_table(
        "feed_ratings",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        _user(),
        _document(),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        _now("created_at"),
        sa.UniqueConstraint("user_id", "document_id"),
        sa.CheckConstraint("value IN (-1, 0, 1)", name="value_allowed"),
    )
    op.create_index(op.f("ix_feed_ratings_user_id"), "feed_ratings", ["user_id"])
    op.create_index(op.f("ix_feed_ratings_document_id"), "feed_ratings", ["document_id"])
    op.create_table(
        "feed_seen",
        _user(),
        _document(),
        _now("seen_at"),
        sa.PrimaryKeyConstraint("user_id", "document_id"),
    )
    op.create_table(
        "feed_models",
        _user(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "model_id",
            sa.SmallInteger(),
            sa.ForeignKey("embedding_models.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("weights", pgvector.sqlalchemy.vector.VECTOR(), nullable=False),
        sa.Column(
            "channel_weights", sa.dialects.postgresql.JSONB(), server_default="{}", nullable=False
        ),
        sa.Column("recency_weight", sa.Float(), nullable=False),
        sa.Column("bias", sa.Float(), nullable=False),
        sa.Column("ratings_used", sa.Integer(), nullable=False),
        _now("trained_at"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "feed_nudges",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        _user(),
        sa.Column("period", sa.String(32), nullable=False),
        _document(nullable=True, ondelete="SET NULL"),
        _now("sent_at"),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("user_id", "period"),
    )
    op.create_index(op.f("ix_feed_nudges_user_id"), "feed_nudges", ["user_id"])


def downgrade() -> None:
    for table in (
        "feed_nudges",
        "feed_models",
        "feed_seen",
        "feed_ratings",
        "feed_channels",
        "feed_readers",
    ):
        op.drop_table(table)

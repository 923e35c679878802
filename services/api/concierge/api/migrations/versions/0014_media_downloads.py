"""media: downloads the watcher follows until done ("your download is done")

Revision ID: 0014
Revises: 0013 (the media desk's 0013_media)
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "media_downloads",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seedbox_id", sa.BigInteger(), nullable=False),
        sa.Column("infohash", sa.String(40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), server_default=sa.text("0"), nullable=False),
        _now("progress_at"),
        _now("next_check_at"),
        sa.Column("checks_failed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stall_told_at", sa.DateTime(timezone=True), nullable=True),
        _now("created_at"),
        sa.CheckConstraint(
            "status IN ('active', 'done', 'removed', 'cancelled')",
            name="status_allowed",
        ),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),
        sa.CheckConstraint("infohash ~ '^[0-9a-f]{40}$'", name="infohash_hex"),
        sa.UniqueConstraint("user_id", "seedbox_id", "infohash"),
    )
    op.create_index("ix_media_downloads_user_id", "media_downloads", ["user_id"])
    op.create_index("ix_media_downloads_seedbox_id", "media_downloads", ["seedbox_id"])
    op.create_index(
        "ix_media_downloads_due",
        "media_downloads",
        ["next_check_at"],
        postgresql_where=sa.text("status = 'active'"),
    )


def downgrade() -> None:
    op.drop_table("media_downloads")

"""watch: notification preferences, held messages, a watch's last message time; the
outbox keeps a sent message's id (so a later notification can edit it)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=None if nullable else sa.text("now()"),
        nullable=nullable,
    )


def upgrade() -> None:
    op.add_column("outbox", sa.Column("message_id", sa.BigInteger(), nullable=True))
    op.add_column("watches", _timestamp("last_told_at"))
    op.create_table(
        "watch_preferences",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(16), server_default=sa.text("'instant'"), nullable=False),
        sa.Column("cooldown_s", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("quiet_from", sa.Time(), nullable=True),
        sa.Column("quiet_to", sa.Time(), nullable=True),
        sa.Column(
            "timezone", sa.String(64), server_default=sa.text("'Europe/Berlin'"), nullable=False
        ),
        sa.Column(
            "repeat_until_seen", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("captcha_notices", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("daily_digest", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("digest_hour", sa.Integer(), server_default=sa.text("8"), nullable=False),
        sa.Column("last_digest_on", sa.Date(), nullable=True),
        _timestamp("created_at", nullable=False),
        sa.CheckConstraint("mode IN ('instant', 'digest')", name="mode_allowed"),
        sa.CheckConstraint("cooldown_s BETWEEN 0 AND 86400", name="cooldown_range"),
        sa.CheckConstraint("digest_hour BETWEEN 0 AND 23", name="digest_hour_range"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "watch_held",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("repeat", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["target_id"], ["watch_targets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "target_id", "starts_at", "repeat"),
    )
    op.create_index("ix_watch_held_due", "watch_held", ["due_at"])
    op.create_index("ix_watch_held_target_id", "watch_held", ["target_id"])


def downgrade() -> None:
    op.drop_table("watch_held")
    op.drop_table("watch_preferences")
    op.drop_column("watches", "last_told_at")
    op.drop_column("outbox", "message_id")

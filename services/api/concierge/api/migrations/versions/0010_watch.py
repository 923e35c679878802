"""watch: appointment-slot providers, offices, services, targets, watches, slots

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, nullable: bool = True, default: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()") if default else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "watch_providers",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("base_url", sa.String(2048), nullable=False),
        sa.Column("booking_url", sa.String(2048), nullable=False),
        sa.Column(
            "timezone", sa.String(64), server_default=sa.text("'Europe/Berlin'"), nullable=False
        ),
        sa.Column("config", postgresql.JSONB(), nullable=False),
        sa.Column("floor_interval_s", sa.Float(), server_default=sa.text("180"), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _timestamp("catalog_updated_at"),
        _timestamp("created_at", nullable=False, default=True),
        sa.CheckConstraint("kind IN ('zms', 'json', 'html')", name="kind_allowed"),
        sa.CheckConstraint("floor_interval_s >= 1", name="floor_positive"),
        sa.UniqueConstraint("slug"),
    )
    for table in ("watch_offices", "watch_services"):
        extra = (
            [sa.Column("service_ids", postgresql.JSONB(), nullable=False)]
            if table == "watch_offices"
            else []
        )
        op.create_table(
            table,
            sa.Column("id", sa.BigInteger(), primary_key=True),
            sa.Column(
                "provider_id",
                sa.BigInteger(),
                sa.ForeignKey("watch_providers.id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("external_id", sa.String(128), nullable=False),
            sa.Column("name", sa.String(300), nullable=False),
            *extra,
            sa.UniqueConstraint("provider_id", "external_id"),
        )
        op.create_index(f"ix_{table}_provider_id", table, ["provider_id"])
    op.create_table(
        "watch_targets",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "provider_id",
            sa.BigInteger(),
            sa.ForeignKey("watch_providers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "office_id",
            sa.BigInteger(),
            sa.ForeignKey("watch_offices.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "service_id",
            sa.BigInteger(),
            sa.ForeignKey("watch_services.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("state", sa.String(16), server_default=sa.text("'new'"), nullable=False),
        _timestamp("next_poll_at", nullable=False, default=True),
        _timestamp("last_poll_at"),
        _timestamp("last_success_at"),
        sa.Column("failures_in_row", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text()),
        _timestamp("alerted_at"),
        _timestamp("paused_until"),
        _timestamp("captcha_at"),
        sa.Column("polls", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        _timestamp("created_at", nullable=False, default=True),
        sa.CheckConstraint(
            "state IN ('new', 'healthy', 'failing', 'captcha')", name="state_allowed"
        ),
        sa.UniqueConstraint("office_id", "service_id"),
    )
    op.create_index("ix_watch_targets_provider_id", "watch_targets", ["provider_id"])
    op.create_index("ix_watch_targets_service_id", "watch_targets", ["service_id"])
    op.create_index("ix_watch_targets_due", "watch_targets", ["next_poll_at"])
    op.create_table(
        "watches",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "target_id",
            sa.BigInteger(),
            sa.ForeignKey("watch_targets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("time_from", sa.Time(), nullable=False),
        sa.Column("time_to", sa.Time(), nullable=False),
        _timestamp("paused_at"),
        sa.Column("paused_reason", sa.String(32)),
        _timestamp("created_at", nullable=False, default=True),
        sa.CheckConstraint("date_from <= date_to", name="dates_in_order"),
        sa.CheckConstraint("time_from < time_to", name="times_in_order"),
        sa.CheckConstraint("weekdays BETWEEN 1 AND 127", name="weekdays_mask"),
    )
    op.create_index("ix_watches_user_id", "watches", ["user_id"])
    op.create_index(
        "ix_watches_target_active",
        "watches",
        ["target_id"],
        postgresql_where=sa.text("paused_at IS NULL"),
    )
    op.create_table(
        "watch_slots",
        sa.Column(
            "target_id",
            sa.BigInteger(),
            sa.ForeignKey("watch_targets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _timestamp("starts_at", nullable=False),
        _timestamp("first_seen_at", nullable=False),
        _timestamp("gone_at"),
        sa.PrimaryKeyConstraint("target_id", "starts_at"),
    )


def downgrade() -> None:
    for table in ("watch_slots", "watches", "watch_targets", "watch_services", "watch_offices"):
        op.drop_table(table)
    op.drop_table("watch_providers")

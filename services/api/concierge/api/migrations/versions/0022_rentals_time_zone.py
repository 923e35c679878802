"""rentals: an item's time zone (quiet hours and the arrivals digest in the landlord's
local time) and drafts that expire

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "rentals_items",
        sa.Column("time_zone", sa.String(64), server_default="Europe/Moscow", nullable=False),
    )
    op.drop_constraint(op.f("ck_rentals_drafts_status_allowed"), "rentals_drafts", type_="check")
    op.create_check_constraint(
        "status_allowed", "rentals_drafts", "status IN ('pending', 'sent', 'skipped', 'expired')"
    )


def downgrade() -> None:
    op.execute("UPDATE rentals_drafts SET status = 'skipped' WHERE status = 'expired'")
    op.drop_constraint(op.f("ck_rentals_drafts_status_allowed"), "rentals_drafts", type_="check")
    op.create_check_constraint(
        "status_allowed", "rentals_drafts", "status IN ('pending', 'sent', 'skipped')"
    )
    op.drop_column("rentals_items", "time_zone")

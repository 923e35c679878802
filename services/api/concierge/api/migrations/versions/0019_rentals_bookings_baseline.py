"""rentals: when the bookings poll first read an item (its first poll is a silent baseline)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "rentals_items",
        sa.Column("bookings_polled_at", sa.DateTime(timezone=True), nullable=True),
    )
    # Items that exist already were polled on the schedule: their baseline is taken (a
    # booking Avito shows next is new to the landlord and must be told).
    op.execute("UPDATE rentals_items SET bookings_polled_at = now()")


def downgrade() -> None:
    op.drop_column("rentals_items", "bookings_polled_at")

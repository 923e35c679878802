"""outbox: index of each chat's unfinished notifications, in order

The relay claims only the first unfinished notification of each chat (one in
flight per chat keeps their order); this index answers "is there an earlier one?".

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_chat_queue",
        "outbox",
        ["chat_id", "id"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'leased')"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbox_chat_queue",
        table_name="outbox",
        postgresql_where=sa.text("status IN ('pending', 'leased')"),
    )

"""userbot: a telegram source keeps its channel's id and the last message id read

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("channel_id", sa.BigInteger(), nullable=True))
    op.add_column("sources", sa.Column("last_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("sources", "last_message_id")
    op.drop_column("sources", "channel_id")

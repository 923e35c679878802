"""media_downloads.title_id / title_kind: the film or series a download is of (TMDB's id),
so its "done" message can ask for a rating that feeds the person's recommendations

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("media_downloads", sa.Column("title_id", sa.BigInteger(), nullable=True))
    op.add_column("media_downloads", sa.Column("title_kind", sa.String(8), nullable=True))
    op.create_check_constraint(
        op.f("ck_media_downloads_title_kind_allowed"),
        "media_downloads",
        "title_kind IS NULL OR title_kind IN ('movie', 'tv')",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_media_downloads_title_kind_allowed"), "media_downloads", type_="check"
    )
    op.drop_column("media_downloads", "title_kind")
    op.drop_column("media_downloads", "title_id")

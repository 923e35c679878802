"""media_downloads.seedbox_id → media_seedboxes (a deleted connection takes its downloads)

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Rows naming a connection that no longer exists cannot be followed: drop them first.
    op.execute(
        "DELETE FROM media_downloads d WHERE NOT EXISTS "
        "(SELECT 1 FROM media_seedboxes s WHERE s.id = d.seedbox_id)"
    )
    op.create_foreign_key(
        "fk_media_downloads_seedbox_id_media_seedboxes",
        "media_downloads",
        "media_seedboxes",
        ["seedbox_id"],
        ["id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint(
        "fk_media_downloads_seedbox_id_media_seedboxes", "media_downloads", type_="foreignkey"
    )

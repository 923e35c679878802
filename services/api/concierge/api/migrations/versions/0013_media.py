"""media: people's settings, their indexers and seedboxes (credentials encrypted), what
they watched

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-06 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _user() -> sa.Column[object]:
    return sa.Column(
        "user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "media_preferences",
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("quality", sa.SmallInteger(), server_default=sa.text("1080"), nullable=False),
        sa.Column(
            "audio",
            postgresql.ARRAY(sa.String(8)),
            server_default=sa.text("'{ru}'"),
            nullable=False,
        ),
        sa.Column(
            "genres",
            postgresql.ARRAY(sa.String(40)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("notify_done", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("onboarded", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        _now("updated_at"),
        sa.CheckConstraint("quality IN (0, 480, 720, 1080, 2160)", name="quality_allowed"),
    )
    op.create_table(
        "media_indexers",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        _user(),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("apikey_secret", sa.Text(), nullable=False),
        _now("created_at"),
        sa.UniqueConstraint("user_id", "name"),
    )
    op.create_index("ix_media_indexers_user_id", "media_indexers", ["user_id"])
    op.create_table(
        "media_seedboxes",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        _user(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("username", sa.String(200), nullable=True),
        sa.Column("password_secret", sa.Text(), nullable=True),
        sa.Column("on_my_lan", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("deluge_host_id", sa.String(64), nullable=True),
        sa.Column("version", sa.String(100), nullable=True),
        _now("created_at"),
        sa.CheckConstraint(
            "kind IN ('transmission', 'qbittorrent', 'deluge')", name="kind_allowed"
        ),
    )
    op.create_index("ix_media_seedboxes_user_id", "media_seedboxes", ["user_id"])
    op.create_table(
        "media_watched",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        _user(),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("title_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        _now("watched_at"),
        sa.CheckConstraint("kind IN ('movie', 'tv')", name="kind_allowed"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 10", name="rating_range"),
        sa.UniqueConstraint("user_id", "source", "title_id"),
    )
    op.create_index("ix_media_watched_user_id", "media_watched", ["user_id"])


def downgrade() -> None:
    op.drop_table("media_watched")
    op.drop_table("media_seedboxes")
    op.drop_table("media_indexers")
    op.drop_table("media_preferences")

"""knowledge store: sources and documents (FTS, trigram, HNSW, simhash bands)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:26:20.344106
"""

from collections.abc import Sequence

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pgvector for embeddings, pg_trgm for fuzzy titles (both in the pgvector image;
    # make install adds pg_trgm to the embedded Postgres).
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "sources",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("handle", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("poll_interval_s", sa.Float(), nullable=False),
        sa.Column(
            "next_check_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('rss', 'web', 'telegram')", name=op.f("ck_sources_kind_allowed")
        ),
        sa.CheckConstraint(
            "(url IS NOT NULL) OR (handle IS NOT NULL)", name=op.f("ck_sources_url_or_handle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
    )
    op.create_index(op.f("ix_sources_next_check_at"), "sources", ["next_check_at"], unique=False)
    op.create_index(
        "uq_sources_kind_handle",
        "sources",
        ["kind", "handle"],
        unique=True,
        postgresql_where=sa.text("handle IS NOT NULL"),
    )
    op.create_index(
        "uq_sources_kind_url",
        "sources",
        ["kind", "url"],
        unique=True,
        postgresql_where=sa.text("url IS NOT NULL"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), server_default="", nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("simhash", sa.BigInteger(), nullable=False),
        sa.Column("band0", sa.Integer(), nullable=False),
        sa.Column("band1", sa.Integer(), nullable=False),
        sa.Column("band2", sa.Integer(), nullable=False),
        sa.Column("band3", sa.Integer(), nullable=False),
        sa.Column("embedding", pgvector.sqlalchemy.vector.VECTOR(dim=384), nullable=True),
        sa.Column("embedding_model", sa.String(length=128), nullable=True),
        sa.Column("duplicate_of", sa.BigInteger(), nullable=True),
        sa.Column("duplicate_kind", sa.String(length=16), nullable=True),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "tsv",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('russian', coalesce(title, '')), 'A') || setweight(to_tsvector('russian', coalesce(text, '')), 'B')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duplicate_kind IS NULL OR duplicate_kind IN ('exact', 'near', 'semantic')",
            name=op.f("ck_documents_duplicate_kind_allowed"),
        ),
        sa.CheckConstraint(
            "kind IN ('post', 'article', 'listing')", name=op.f("ck_documents_kind_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["documents.id"],
            name=op.f("fk_documents_duplicate_of_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_documents_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index("ix_documents_band0", "documents", ["band0"], unique=False)
    op.create_index("ix_documents_band1", "documents", ["band1"], unique=False)
    op.create_index("ix_documents_band2", "documents", ["band2"], unique=False)
    op.create_index("ix_documents_band3", "documents", ["band3"], unique=False)
    op.create_index(op.f("ix_documents_duplicate_of"), "documents", ["duplicate_of"], unique=False)
    op.create_index(
        "ix_documents_embedding",
        "documents",
        ["embedding"],
        unique=False,
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.create_index("ix_documents_published_at", "documents", ["published_at"], unique=False)
    op.create_index(
        "ix_documents_title_trgm",
        "documents",
        ["title"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.create_index("ix_documents_tsv", "documents", ["tsv"], unique=False, postgresql_using="gin")
    op.create_index(
        "uq_documents_original_hash",
        "documents",
        ["content_hash"],
        unique=True,
        postgresql_where=sa.text("duplicate_of IS NULL"),
    )
    op.create_index(
        "uq_documents_source_external", "documents", ["source_id", "external_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_documents_source_external", table_name="documents")
    op.drop_index(
        "uq_documents_original_hash",
        table_name="documents",
        postgresql_where=sa.text("duplicate_of IS NULL"),
    )
    op.drop_index("ix_documents_tsv", table_name="documents", postgresql_using="gin")
    op.drop_index(
        "ix_documents_title_trgm",
        table_name="documents",
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.drop_index("ix_documents_published_at", table_name="documents")
    op.drop_index(
        "ix_documents_embedding",
        table_name="documents",
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.drop_index(op.f("ix_documents_duplicate_of"), table_name="documents")
    op.drop_index("ix_documents_band3", table_name="documents")
    op.drop_index("ix_documents_band2", table_name="documents")
    op.drop_index("ix_documents_band1", table_name="documents")
    op.drop_index("ix_documents_band0", table_name="documents")
    op.drop_table("documents")
    op.drop_index(
        "uq_sources_kind_url", table_name="sources", postgresql_where=sa.text("url IS NOT NULL")
    )
    op.drop_index(
        "uq_sources_kind_handle",
        table_name="sources",
        postgresql_where=sa.text("handle IS NOT NULL"),
    )
    op.drop_index(op.f("ix_sources_next_check_at"), table_name="sources")
    op.drop_table("sources")

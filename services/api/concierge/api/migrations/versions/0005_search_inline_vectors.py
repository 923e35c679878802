"""search: documents kept whole in their rows, and indexed by kind and date

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 00:20:00.000000

A document row (text, tsvector, a 1.5 kB embedding) passes Postgres's 2 kB TOAST
threshold, and the embedding (EXTERNAL by default) is the first value moved out of
line; with MAIN the text and tsvector would go instead. Either way one of the arms
pays a TOAST lookup per row: exact (filtered) vector scans for every vector, or the
full-text arm for every tsvector it filters and ranks. bench/search.py over 100k
documents: exact scan 254 ms with EXTERNAL, 60 ms with MAIN; full-text p95 46 ms
with EXTERNAL, 84 ms with MAIN, 26 ms with both kept in the row. So the embedding is
MAIN and rows up to 4 kB stay whole (toast_tuple_target); only long documents move
their text out. It applies to rows written from now on.

``(kind, published_at)`` serves the kind filter (a listings search among posts) for
the exact vector scan, the count that chooses it, and the full-text arm's newest-first
pre-limit.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE documents ALTER COLUMN embedding SET STORAGE MAIN")
    op.execute("ALTER TABLE documents SET (toast_tuple_target = 4080)")
    op.create_index(
        "ix_documents_kind_published_at", "documents", ["kind", "published_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_documents_kind_published_at", table_name="documents")
    op.execute("ALTER TABLE documents RESET (toast_tuple_target)")
    op.execute("ALTER TABLE documents ALTER COLUMN embedding SET STORAGE EXTERNAL")

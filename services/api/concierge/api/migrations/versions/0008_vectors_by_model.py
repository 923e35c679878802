"""search: vectors by embedding model, the semantic layer after embedding, word statistics

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00

Every vector now names its model: ``embedding_models`` (name, dimensions, how to load
it, building/active/retired) and ``document_vectors`` (model, document, vector of the
model's dimension), with one partial HNSW index per model. The vectors stored so far
move there under the model they were made with; the most used one becomes the active
model (search uses it until the worker's configured model covers the corpus).

``documents.semantic_pending``: ingest stores a new original at once and the worker's
vector keeper embeds it, then judges it against semantic duplicates.

The full-text arm picks its match terms by how many documents hold them: the planner's
statistics of ``tsv`` keep the 10,000 most common lexemes with their frequencies
(statistics target 1000; the default 100 keeps 1,000).
"""

from collections.abc import Sequence

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from concierge.domain.ingest.vectors import create_vector_index

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MINILM_SPEC = '{"backend": "sentence-transformers", "model": "all-MiniLM-L6-v2"}'


def upgrade() -> None:
    op.create_table(
        "embedding_models",
        sa.Column("id", sa.SmallInteger(), sa.Identity(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column(
            "spec", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('building', 'active', 'retired')", name=op.f("ck_embedding_models_state_allowed")
        ),
        sa.CheckConstraint(
            "dimensions BETWEEN 1 AND 16000", name=op.f("ck_embedding_models_dimensions_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embedding_models")),
        sa.UniqueConstraint("name", name=op.f("uq_embedding_models_name")),
    )  # fmt: skip
    op.create_index(
        "uq_embedding_models_one_active",
        "embedding_models",
        ["state"],
        unique=True,
        postgresql_where=sa.text("state = 'active'"),
    )
    op.create_table(
        "document_vectors",
        sa.Column("model_id", sa.SmallInteger(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("embedding", pgvector.sqlalchemy.vector.VECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"],
            name=op.f("fk_document_vectors_document_id_documents"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["embedding_models.id"],
            name=op.f("fk_document_vectors_model_id_embedding_models"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "document_id", name=op.f("pk_document_vectors")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_document_vectors_document_id"), "document_vectors", ["document_id"], unique=False
    )
    # Kept in the row (1.5 kB for 384 floats): an exact scan never looks vectors up in TOAST.
    op.execute("ALTER TABLE document_vectors ALTER COLUMN embedding SET STORAGE MAIN")
    _move_vectors()
    op.drop_index("ix_documents_embedding", table_name="documents")
    op.drop_column("documents", "embedding")
    op.drop_column("documents", "embedding_model")
    op.add_column(
        "documents",
        sa.Column(
            "semantic_pending", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.create_index(
        "ix_documents_semantic_pending",
        "documents",
        ["published_at"],
        unique=False,
        postgresql_where=sa.text("semantic_pending"),
    )
    op.execute("ALTER TABLE documents ALTER COLUMN tsv SET STATISTICS 1000")


def _move_vectors() -> None:
    """Each model the stored vectors name becomes a row (the most used one active) and
    the vectors move to document_vectors, with the model's index."""
    connection = op.get_bind()
    models = connection.execute(
        sa.text(
            "SELECT coalesce(embedding_model, 'all-MiniLM-L6-v2') AS name, "
            "vector_dims(embedding) AS dimensions, count(*) AS vectors FROM documents "
            "WHERE embedding IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC, 1"
        )
    ).all()
    for position, model in enumerate(models):
        spec = MINILM_SPEC if model.name == "all-MiniLM-L6-v2" else "{}"
        model_id = connection.scalar(
            sa.text(
                "INSERT INTO embedding_models (name, dimensions, spec, state, activated_at, "
                "retired_at) VALUES (:name, :dimensions, CAST(:spec AS jsonb), :state, now(), "
                "CASE WHEN :state = 'retired' THEN now() END) ON CONFLICT (name) DO NOTHING RETURNING id"
            ),
            {
                "name": model.name,
                "dimensions": model.dimensions,
                "spec": spec,
                "state": "active" if position == 0 else "retired",
            },
        )
        if model_id is None:  # the same name with another dimension: not comparable, dropped
            continue
        connection.execute(
            sa.text(
                "INSERT INTO document_vectors (model_id, document_id, embedding) "
                "SELECT :model_id, id, embedding FROM documents WHERE embedding IS NOT NULL "
                "AND coalesce(embedding_model, 'all-MiniLM-L6-v2') = :name "
                "AND vector_dims(embedding) = :dimensions"
            ),
            {"model_id": model_id, "name": model.name, "dimensions": model.dimensions},
        )
        op.execute(create_vector_index(model_id, model.dimensions, concurrently=False))


def downgrade() -> None:
    op.execute("ALTER TABLE documents ALTER COLUMN tsv SET STATISTICS -1")
    op.drop_index("ix_documents_semantic_pending", table_name="documents")
    op.drop_column("documents", "semantic_pending")
    op.add_column("documents", sa.Column("embedding", pgvector.sqlalchemy.vector.VECTOR(dim=384)))
    op.add_column("documents", sa.Column("embedding_model", sa.String(length=128)))
    op.execute(
        "UPDATE documents d SET embedding = CAST(v.embedding AS vector(384)), "
        "embedding_model = m.name FROM document_vectors v JOIN embedding_models m "
        "ON m.id = v.model_id WHERE v.document_id = d.id AND m.state = 'active' "
        "AND m.dimensions = 384"
    )
    op.execute("ALTER TABLE documents ALTER COLUMN embedding SET STORAGE MAIN")
    op.create_index(
        "ix_documents_embedding",
        "documents",
        ["embedding"],
        unique=False,
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.drop_table("document_vectors")
    op.drop_table("embedding_models")

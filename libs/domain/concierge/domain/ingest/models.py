"""The knowledge store every desk searches: sources, their documents, and the documents'
vectors by embedding model.

The worker writes documents (fetched, cleaned, de-duplicated) and embeds them; the api
searches them. A duplicate is kept as a row linked to its original
(``duplicate_of``) so "also in …" can be shown; search reads originals only.

Every vector names its model (``document_vectors.model_id``); a model's vectors have its
dimension and their own HNSW index (partial, on ``embedding::vector(<dimensions>)``,
made when the model is registered), so several models can live side by side while the
corpus is re-embedded for a new one, and search compares a query with vectors of its
own model only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from concierge.contracts.search import DocumentKind
from concierge.db import Base, TimestampMixin


class DuplicateKind(StrEnum):
    EXACT = "exact"  # same normalised text, or the same GUID again
    NEAR = "near"  # simhash within 3 bits
    SEMANTIC = "semantic"  # embedding cosine above the threshold within 72 h


class Source(TimestampMixin, Base):
    __tablename__ = "sources"
    __table_args__ = (
        CheckConstraint("kind IN ('rss', 'web', 'telegram')", name="kind_allowed"),
        CheckConstraint("(url IS NOT NULL) OR (handle IS NOT NULL)", name="url_or_handle"),
        Index("uq_sources_kind_url", "kind", "url", unique=True,
              postgresql_where=sql("url IS NOT NULL")),
        Index("uq_sources_kind_handle", "kind", "handle", unique=True,
              postgresql_where=sql("handle IS NOT NULL")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text)
    handle: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    poll_interval_s: Mapped[float] = mapped_column(Float, default=900.0)
    next_check_at: Mapped[datetime] = mapped_column(server_default=sql("now()"), index=True)
    last_checked_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    error_count: Mapped[int] = mapped_column(Integer, default=0, server_default=sql("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=sql("true"))
    # A telegram source: its channel's id (resolved once by the user-bot) and the highest
    # message id read, where the next read starts.
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("kind IN ('post', 'article', 'listing')", name="kind_allowed"),
        CheckConstraint(
            "duplicate_kind IS NULL OR duplicate_kind IN ('exact', 'near', 'semantic')",
            name="duplicate_kind_allowed",
        ),
        Index("uq_documents_source_external", "source_id", "external_id", unique=True),
        Index("uq_documents_original_hash", "content_hash", unique=True,
              postgresql_where=sql("duplicate_of IS NULL")),
        Index("ix_documents_tsv", "tsv", postgresql_using="gin"),
        Index("ix_documents_title_trgm", "title", postgresql_using="gin",
              postgresql_ops={"title": "gin_trgm_ops"}),
        Index("ix_documents_semantic_pending", "published_at",
              postgresql_where=sql("semantic_pending")),
        Index("ix_documents_published_at", "published_at"),
        Index("ix_documents_kind_published_at", "kind", "published_at"),
        Index("ix_documents_band0", "band0"),
        Index("ix_documents_band1", "band1"),
        Index("ix_documents_band2", "band2"),
        Index("ix_documents_band3", "band3"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default=DocumentKind.POST)
    external_id: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="", server_default="")
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    published_at: Mapped[datetime]
    fetched_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))
    content_hash: Mapped[str] = mapped_column(String(64))
    simhash: Mapped[int] = mapped_column(BigInteger)
    band0: Mapped[int] = mapped_column(Integer)
    band1: Mapped[int] = mapped_column(Integer)
    band2: Mapped[int] = mapped_column(Integer)
    band3: Mapped[int] = mapped_column(Integer)
    # A new original waits for the semantic layer of de-duplication, which needs its
    # embedding: the vector keeper embeds it and judges it then.
    semantic_pending: Mapped[bool] = mapped_column(default=False, server_default=sql("false"))
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    duplicate_kind: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    tsv: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('russian', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('russian', coalesce(text, '')), 'B')",
            persisted=True,
        ),
    )


class ModelState(StrEnum):
    BUILDING = "building"  # vectors being made; search still uses the active model
    ACTIVE = "active"  # the model search uses (at most one)
    RETIRED = "retired"  # replaced; its vectors are deleted after a grace period


class EmbeddingModel(Base):
    __tablename__ = "embedding_models"
    __table_args__ = (
        CheckConstraint("state IN ('building', 'active', 'retired')", name="state_allowed"),
        CheckConstraint("dimensions BETWEEN 1 AND 16000", name="dimensions_range"),
        Index("uq_embedding_models_one_active", "state", unique=True,
              postgresql_where=sql("state = 'active'")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    dimensions: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    state: Mapped[str] = mapped_column(String(16), default=ModelState.BUILDING)
    created_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))
    activated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class DocumentVector(Base):
    __tablename__ = "document_vectors"

    model_id: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("embedding_models.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # No fixed dimension: each model's rows are indexed as vector(<its dimensions>).
    embedding: Mapped[list[float]] = mapped_column(Vector())

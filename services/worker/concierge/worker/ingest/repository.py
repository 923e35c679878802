"""Every query ingest makes: claiming due sources, recording checks, finding duplicates
and storing documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select, text, update

from concierge.contracts.search import SourceKind
from concierge.db.repository import Repository
from concierge.domain.ingest.models import Document, DuplicateKind, Source
from concierge.domain.ingest.repository import DocumentRepository
from concierge.worker.ingest.documents import NewDocument

FETCHED_KINDS = (SourceKind.RSS.value, SourceKind.WEB.value)
NEIGHBOURS = 20  # nearest embeddings read before the time window filters them
EF_SEARCH = 64

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class DueSource:
    id: int
    due_at: datetime


@dataclass(frozen=True)
class StoredDocument:
    id: int
    content_hash: str
    duplicate_of: int | None


def vector_literal(vector: Sequence[float] | npt.NDArray[np.float32]) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


def vectors_array_literal(vectors: Vectors) -> str:
    """A ``vector[]`` in Postgres text form (cast from text: asyncpg has no codec for it)."""
    return "{" + ",".join(f'"{vector_literal(row)}"' for row in vectors) + "}"


# The distance (3) and the neighbour count (20) are written out: NEAR_DUPLICATE_DISTANCE
# and NEIGHBOURS, checked against these statements by the tests.
_NEAR = text(
    """
    SELECT q.i, m.root
    FROM unnest(CAST(:idx AS int[]), CAST(:hashes AS bigint[]), CAST(:b0 AS int[]),
                CAST(:b1 AS int[]), CAST(:b2 AS int[]), CAST(:b3 AS int[]))
         AS q(i, h, b0, b1, b2, b3)
    CROSS JOIN LATERAL (
        SELECT coalesce(d.duplicate_of, d.id) AS root
        FROM documents d
        WHERE (d.band0 = q.b0 OR d.band1 = q.b1 OR d.band2 = q.b2 OR d.band3 = q.b3)
          AND d.kind <> 'listing'
          AND bit_count(CAST(d.simhash # q.h AS bit(64))) <= 3
        ORDER BY bit_count(CAST(d.simhash # q.h AS bit(64))), d.published_at, d.id
        LIMIT 1
    ) m
    """
)

# The HNSW index finds the nearest embeddings; the time window and the model are
# checked on those (pgvector 0.6 filters after the index scan, so filtering inside
# could return nothing). A neighbour that is itself a duplicate stands for its
# original; listings are never originals of posts.
_SEMANTIC = text(
    """
    SELECT q.i, m.root, m.similarity
    FROM unnest(CAST(:idx AS int[]), CAST(CAST(:vectors AS text) AS vector[]),
                CAST(:published AS timestamptz[])) AS q(i, v, published_at)
    CROSS JOIN LATERAL (
        SELECT coalesce(n.duplicate_of, n.id) AS root, 1 - n.distance AS similarity
        FROM (
            SELECT d.id, d.kind, d.duplicate_of, d.published_at, d.embedding_model,
                   d.embedding <=> q.v AS distance
            FROM documents d
            WHERE d.embedding IS NOT NULL
            ORDER BY d.embedding <=> q.v
            LIMIT 20
        ) n
        WHERE n.distance <= 1 - CAST(:threshold AS float8)
          AND n.kind <> 'listing'  -- a post is never a copy of someone's listing
          AND n.embedding_model = :model
          AND n.published_at BETWEEN q.published_at - CAST(:window AS interval)
                               AND q.published_at + CAST(:window AS interval)
        ORDER BY n.distance
        LIMIT 1
    ) m
    """
)


class SourceRepository(Repository[Source]):
    model = Source

    async def claim_due(self, limit: int, lease_s: float) -> list[DueSource]:
        """Due sources no other poller holds, moved ``lease_s`` ahead: if their fetch job
        is lost, they come due again then."""
        due = (
            select(Source.id, Source.next_check_at)
            .where(
                Source.enabled,
                Source.kind.in_(FETCHED_KINDS),
                Source.next_check_at <= func.now(),
            )
            .order_by(Source.next_check_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
        )
        statement = (
            update(Source)
            .where(Source.id == due.c.id)
            .values(next_check_at=func.now() + timedelta(seconds=lease_s))
            .returning(Source.id, due.c.next_check_at)
            .execution_options(synchronize_session=False)
        )
        rows = await self.session.execute(statement)
        return [DueSource(id, due_at) for id, due_at in rows]

    async def record(self, source_id: int, **values: Any) -> None:
        await self.session.execute(
            update(Source)
            .where(Source.id == source_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def recent_publications(self, source_id: int, limit: int) -> list[datetime]:
        rows = await self.session.scalars(
            select(Document.published_at)
            .where(Document.source_id == source_id)
            .order_by(Document.published_at.desc())
            .limit(limit)
        )
        return list(rows)


class IngestDocumentRepository(DocumentRepository):
    """The shared document queries, and the ones only ingest makes: known items and
    near and semantic duplicates."""

    async def known(self, source_id: int, external_ids: Sequence[str]) -> dict[str, StoredDocument]:
        rows = await self.session.execute(
            select(
                Document.external_id, Document.id, Document.content_hash, Document.duplicate_of
            ).where(Document.source_id == source_id, Document.external_id.in_(external_ids))
        )
        return {ext: StoredDocument(id, hash_, dup) for ext, id, hash_, dup in rows}

    async def near_duplicates(self, documents: Sequence[NewDocument]) -> dict[int, int]:
        """For each document (by position), the original of a stored document within the
        simhash distance, if any."""
        if not documents:
            return {}
        rows = await self.session.execute(
            _NEAR,
            {
                "idx": list(range(len(documents))),
                "hashes": [d.simhash for d in documents],
                **{f"b{n}": [d.bands[n] for d in documents] for n in range(4)},
            },
        )
        return dict(rows.all())

    async def semantic_duplicates(
        self,
        vectors: Vectors,
        published: Sequence[datetime],
        *,
        model: str,
        threshold: float,
        window: timedelta,
    ) -> dict[int, int]:
        """For each vector (by position), the original of a stored document of the same
        model, published within the window, at least ``threshold`` similar."""
        if len(vectors) == 0:
            return {}
        await self.session.execute(text(f"SET LOCAL hnsw.ef_search = {EF_SEARCH}"))
        rows = await self.session.execute(
            _SEMANTIC,
            {
                "idx": list(range(len(vectors))),
                "vectors": vectors_array_literal(vectors),
                "published": list(published),
                "threshold": threshold,
                "model": model,
                "window": window,
            },
        )
        return {i: root for i, root, _ in rows}


def document_row(
    document: NewDocument,
    source_id: int,
    vector: npt.NDArray[np.float32],
    model: str,
    duplicate_of: int | None,
    duplicate_kind: DuplicateKind | None,
) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "kind": document.kind.value,
        "external_id": document.external_id,
        "url": document.url,
        "title": document.title,
        "text": document.text,
        "language": document.language,
        "published_at": document.published_at,
        "content_hash": document.content_hash,
        "simhash": document.simhash,
        "band0": document.bands[0],
        "band1": document.bands[1],
        "band2": document.bands[2],
        "band3": document.bands[3],
        "embedding": vector,
        "embedding_model": model,
        "duplicate_of": duplicate_of,
        "duplicate_kind": duplicate_kind.value if duplicate_kind else None,
        "attributes": document.attributes,
    }

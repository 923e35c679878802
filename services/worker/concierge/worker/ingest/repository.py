"""Every query ingest makes: claiming due sources, recording checks, finding duplicates
and storing documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import TextClause, func, select, text, update

from concierge.contracts.search import SourceKind
from concierge.db.repository import Repository
from concierge.domain.ingest.models import Document, DuplicateKind, Source
from concierge.domain.ingest.repository import DocumentRepository
from concierge.worker.ingest.documents import NewDocument

FETCHED_KINDS = (SourceKind.RSS.value, SourceKind.WEB.value)
ALL_KINDS = (*FETCHED_KINDS, SourceKind.TELEGRAM.value)

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


# The distance (3) is written out: NEAR_DUPLICATE_DISTANCE, checked against this
# statement by the tests.
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


def _semantic(dimensions: int) -> TextClause:
    """For each new document, the nearest document of the model within the time window,
    if it is at least as similar as the threshold. An exact scan of the window's vectors
    (the publication-date index finds them): an approximate index would filter after its
    scan and miss copies once the table is large. A neighbour that is itself a copy
    stands for its original; listings are never originals of posts."""
    distance = (
        f"(CAST(v.embedding AS vector({int(dimensions)})) "
        f"<=> CAST(q.v AS vector({int(dimensions)})))"
    )
    return text(
        f"""
        SELECT q.id, m.root
        FROM unnest(CAST(:ids AS bigint[]), CAST(CAST(:vectors AS text) AS vector[]),
                    CAST(:published AS timestamptz[])) AS q(id, v, published_at)
        CROSS JOIN LATERAL (
            SELECT coalesce(d.duplicate_of, d.id) AS root
            FROM documents d
            JOIN document_vectors v ON v.document_id = d.id AND v.model_id = :model_id
            WHERE d.published_at BETWEEN q.published_at - CAST(:window AS interval)
                                     AND q.published_at + CAST(:window AS interval)
              AND d.id <> q.id
              AND d.kind <> 'listing'
              AND {distance} <= 1 - CAST(:threshold AS float8)
            ORDER BY {distance} + 0, d.published_at, d.id
            LIMIT 1
        ) m
        """  # noqa: S608 (the dimension is an int formatted here; every value is bound)
    )


@dataclass(frozen=True)
class SemanticCandidate:
    id: int
    published_at: datetime
    vector: npt.NDArray[np.float32]


class SourceRepository(Repository[Source]):
    model = Source

    async def claim_due(
        self, limit: int, lease_s: float, kinds: Sequence[str] = FETCHED_KINDS
    ) -> list[DueSource]:
        """Due sources (of ``kinds``) no other poller holds, moved ``lease_s`` ahead: if
        their fetch job is lost, they come due again then."""
        due = (
            select(Source.id, Source.next_check_at)
            .where(
                Source.enabled,
                Source.kind.in_(list(kinds)),
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

    async def recent_external_ids(self, source_id: int, since: datetime, limit: int) -> list[str]:
        """The source's newest documents' external ids, published after ``since``."""
        rows = await self.session.scalars(
            select(Document.external_id)
            .where(Document.source_id == source_id, Document.published_at > since)
            .order_by(Document.published_at.desc(), Document.id.desc())
            .limit(limit)
        )
        return list(rows)

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
        model_id: int,
        dimensions: int,
        candidates: Sequence[SemanticCandidate],
        *,
        threshold: float,
        window: timedelta,
    ) -> dict[int, int]:
        """Document id → the original of a stored document of the model, published within
        the window, at least ``threshold`` similar (only those that have one)."""
        if not candidates:
            return {}
        rows = await self.session.execute(
            _semantic(dimensions),
            {
                "ids": [c.id for c in candidates],
                "vectors": vectors_array_literal(np.stack([c.vector for c in candidates])),
                "published": [c.published_at for c in candidates],
                "model_id": model_id,
                "threshold": threshold,
                "window": window,
            },
        )
        return {int(id_): int(root) for id_, root in rows.all()}

    async def mark_copies(self, copies: dict[int, int]) -> None:
        """These originals turned out to be semantic copies: link them (and anything linked
        to them) to their originals."""
        for document_id, original in copies.items():
            await self.replace(
                document_id,
                {"duplicate_of": original, "duplicate_kind": DuplicateKind.SEMANTIC.value},
            )

    async def judged(self, document_ids: Sequence[int]) -> None:
        """The semantic layer has looked at these documents."""
        if document_ids:
            await self.session.execute(
                update(Document)
                .where(Document.id.in_(list(document_ids)))
                .values(semantic_pending=False)
                .execution_options(synchronize_session=False)
            )


def document_row(
    document: NewDocument,
    source_id: int,
    *,
    duplicate_of: int | None = None,
    duplicate_kind: DuplicateKind | None = None,
    semantic_pending: bool = False,
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
        "duplicate_of": duplicate_of,
        "duplicate_kind": duplicate_kind.value if duplicate_kind else None,
        "semantic_pending": semantic_pending,
        "attributes": document.attributes,
    }

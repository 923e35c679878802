"""Storing a fetch's documents: new ones embedded in batches, judged for duplicates and
inserted, one transaction per batch.

Embedding is the slow part: a fetch's drafts go to the model as soon as the known ones
are left out, sorted by length (the least padding), in batches that share the model's
thread with other callers'. Their fingerprints (language, hashes) are computed in
another thread meanwhile. Then they are judged and inserted in publication order, so
an original precedes its copies.

Idempotent: an item whose (source, GUID) is stored is skipped, so a job that runs
twice stores nothing twice. Two fetches storing the same new text at the same moment
collide on a unique index; the losing batch is judged again and becomes the copy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.search import DocumentKind
from concierge.db import Database
from concierge.embedding import BatchingEmbedder
from concierge.text.normalize import content_hash
from concierge.worker.ingest.dedup import Deduplicator, SemanticRule, Verdict
from concierge.worker.ingest.documents import Draft, NewDocument, fingerprint
from concierge.worker.ingest.repository import IngestDocumentRepository, document_row

log = logging.getLogger(__name__)

BATCH = 64  # documents per model call and per transaction
# A feed's backlog (a first fetch of a big archive) is taken in shares, oldest first, so
# one job stays well within its timeout and other sources get their turn in between.
MAX_NEW_PER_CHECK = 512
RACE_ATTEMPTS = 3

STORED = Counter(
    "ingest_documents_total",
    "Documents stored, by what they are: original, or the kind of duplicate",
    ["result"],
)

Vectors = npt.NDArray[np.float32]


class LostRace(Exception):
    """Another transaction stored one of our originals' texts first; judge again."""


@dataclass
class StoreResult:
    originals: int = 0
    duplicates: dict[str, int] = field(default_factory=dict)
    updated: int = 0
    left_for_later: int = 0  # new items beyond this check's share

    @property
    def stored(self) -> int:
        return self.originals + sum(self.duplicates.values())

    def add(self, other: StoreResult) -> None:
        self.originals += other.originals
        self.updated += other.updated
        for kind, count in other.duplicates.items():
            self.duplicates[kind] = self.duplicates.get(kind, 0) + count


class DocumentStore:
    """``embedder`` gives the (shared, batching) model, loaded on first use."""

    def __init__(
        self,
        database: Database,
        embedder: Callable[[], Awaitable[BatchingEmbedder]],
        rule: SemanticRule,
    ) -> None:
        self.database = database
        self.embedder = embedder
        self.rule = rule

    async def store(self, source_id: int, documents: Sequence[Draft]) -> StoreResult:
        """Store what is new among ``documents`` (oldest first); a web page whose text
        changed is replaced in place."""
        async with self.database.transaction() as session:
            known = await IngestDocumentRepository(session).known(
                source_id, [d.external_id for d in documents]
            )
        fresh = [d for d in documents if d.external_id not in known]
        later = fresh[MAX_NEW_PER_CHECK:]
        fresh = fresh[:MAX_NEW_PER_CHECK]
        changed = [
            (d, known[d.external_id].id)
            for d in documents
            if d.external_id in known
            and d.kind == DocumentKind.ARTICLE
            and known[d.external_id].content_hash != content_hash(d.text)
        ]
        result = await self._insert(source_id, fresh)
        result.left_for_later = len(later)
        for document, document_id in changed:
            await self._replace(document_id, document)
            result.updated += 1
        return result

    async def _insert(self, source_id: int, drafts: Sequence[Draft]) -> StoreResult:
        if not drafts:
            return StoreResult()
        vectors, documents = await asyncio.gather(
            self._embed(drafts), asyncio.to_thread(lambda: [fingerprint(d) for d in drafts])
        )
        result = StoreResult()
        for start in range(0, len(documents), BATCH):
            batch = documents[start : start + BATCH]
            result.add(await self._insert_batch(source_id, batch, vectors[start : start + BATCH]))
        return result

    async def _embed(self, documents: Sequence[Draft]) -> Vectors:
        """Every document's passage vector, in order. The model gets them by length, a
        batch at a time (less padding; other callers' batches can go in between)."""
        model = await self.embedder()
        order = sorted(range(len(documents)), key=lambda i: len(documents[i].embed_text))
        chunks = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
        encoded = await asyncio.gather(
            *(model.embed([documents[i].embed_text for i in chunk], "passage") for chunk in chunks)
        )
        vectors = np.empty((len(documents), encoded[0].shape[1]), dtype=np.float32)
        for chunk, chunk_vectors in zip(chunks, encoded, strict=True):
            vectors[chunk] = chunk_vectors
        return vectors

    async def _insert_batch(
        self, source_id: int, batch: Sequence[NewDocument], vectors: Vectors
    ) -> StoreResult:
        for attempt in range(1, RACE_ATTEMPTS + 1):
            try:
                async with self.database.transaction() as session:
                    return await self._insert_in(session, source_id, batch, vectors)
            except LostRace:
                log.info(
                    "source %d: a batch lost a race (attempt %d); judging again", source_id, attempt
                )
        raise RuntimeError(f"source {source_id}: a batch kept colliding with other inserts")

    async def _insert_in(
        self,
        session: AsyncSession,
        source_id: int,
        batch: Sequence[NewDocument],
        vectors: Vectors,
    ) -> StoreResult:
        documents = IngestDocumentRepository(session)
        known = await documents.known(source_id, [d.external_id for d in batch])
        keep = [i for i, d in enumerate(batch) if d.external_id not in known]
        batch, vectors = [batch[i] for i in keep], vectors[keep]
        if not batch:
            return StoreResult()
        verdicts = await Deduplicator(documents, self.rule).judge(batch, vectors)
        # In hash order: concurrent batches take the unique index's locks in one order.
        originals = sorted(
            (i for i, verdict in enumerate(verdicts) if verdict.is_original),
            key=lambda i: batch[i].content_hash,
        )
        ids = await documents.insert_many(
            [
                document_row(batch[i], source_id, vectors[i], self.rule.model, None, None)
                for i in originals
            ]
        )
        if len(ids) < len(originals):
            raise LostRace
        copies = [
            document_row(
                batch[i],
                source_id,
                vectors[i],
                self.rule.model,
                _original_id(verdict, batch, ids),
                verdict.kind,
            )
            for i, verdict in enumerate(verdicts)
            if not verdict.is_original
        ]
        await documents.insert_many(copies)
        return _count(verdicts)

    async def _replace(self, document_id: int, draft: Draft) -> None:
        document = fingerprint(draft)
        vectors = await (await self.embedder()).embed([document.embed_text], "passage")
        async with self.database.transaction() as session:
            documents = IngestDocumentRepository(session)
            (verdict,) = await Deduplicator(documents, self.rule).judge(
                [document], vectors, exclude=document_id
            )
            row = document_row(
                document, 0, vectors[0], self.rule.model, verdict.stored_original, verdict.kind
            )
            for fixed in ("source_id", "external_id", "kind"):
                row.pop(fixed)
            await documents.replace(document_id, row)
        STORED.labels("updated").inc()


def _original_id(verdict: Verdict, batch: Sequence[NewDocument], ids: dict[str, int]) -> int:
    if verdict.stored_original is not None:
        return verdict.stored_original
    assert verdict.batch_original is not None
    return ids[batch[verdict.batch_original].external_id]


def _count(verdicts: Sequence[Verdict]) -> StoreResult:
    result = StoreResult()
    for verdict in verdicts:
        if verdict.kind is None:
            result.originals += 1
            STORED.labels("original").inc()
        else:
            result.duplicates[verdict.kind.value] = result.duplicates.get(verdict.kind.value, 0) + 1
            STORED.labels(verdict.kind.value).inc()
    return result

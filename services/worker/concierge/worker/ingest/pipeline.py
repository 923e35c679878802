"""Storing a fetch's documents: judged for exact and near duplicates and inserted, one
transaction per batch, without waiting for the model.

A new original is stored at once (full text finds it from then on) with
``semantic_pending`` set; the vector keeper (``concierge.worker.ingest.vectors``) embeds
it moments later and judges the semantic layer of de-duplication then. Copies found by
hash or simhash are never embedded: search reads originals only. So parsing and the
exact and near layers never wait on the model, and the model never idles while a batch
is parsed or inserted.

Fingerprints (language, hashes) are computed in a thread. Documents are judged and
inserted in publication order, so an original precedes its copies.

Idempotent: an item whose (source, GUID) is stored is skipped, so a job that runs
twice stores nothing twice. Two fetches storing the same new text at the same moment
collide on a unique index; the losing batch is judged again and becomes the copy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.search import DocumentKind
from concierge.db import Database
from concierge.text.normalize import content_hash
from concierge.worker.ingest.dedup import Deduplicator, Verdict
from concierge.worker.ingest.documents import Draft, NewDocument, fingerprint
from concierge.worker.ingest.repository import IngestDocumentRepository, document_row

log = logging.getLogger(__name__)

BATCH = 64  # documents per transaction
# A feed's backlog (a first fetch of a big archive) is taken in shares, oldest first, so
# one job stays well within its timeout and other sources get their turn in between.
MAX_NEW_PER_CHECK = 512
RACE_ATTEMPTS = 3

STORED = Counter(
    "ingest_documents_total",
    "Documents stored, by what they are: original, or the kind of duplicate",
    ["result"],
)


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


def awaits_semantic_check(document: NewDocument) -> bool:
    """A listing is never judged a copy (each must be found); everything else is."""
    return document.kind != DocumentKind.LISTING


class DocumentStore:
    def __init__(self, database: Database) -> None:
        self.database = database

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

    async def update_changed(self, source_id: int, documents: Sequence[Draft]) -> int:
        """Documents stored before whose text changed (an edited channel post) get the new
        text in place; returns how many."""
        if not documents:
            return 0
        async with self.database.transaction() as session:
            known = await IngestDocumentRepository(session).known(
                source_id, [d.external_id for d in documents]
            )
        changed = [
            (d, known[d.external_id].id)
            for d in documents
            if d.external_id in known and known[d.external_id].content_hash != content_hash(d.text)
        ]
        for document, document_id in changed:
            await self._replace(document_id, document)
        return len(changed)

    async def delete(self, source_id: int, external_ids: Sequence[str]) -> int:
        """The source's documents of these external ids are deleted (a copy of one
        elsewhere becomes the original); returns how many."""
        if not external_ids:
            return 0
        async with self.database.transaction() as session:
            documents = IngestDocumentRepository(session)
            known = await documents.known(source_id, list(external_ids))
            await documents.delete_documents([stored.id for stored in known.values()])
        if known:
            STORED.labels("deleted").inc(len(known))
        return len(known)

    async def _insert(self, source_id: int, drafts: Sequence[Draft]) -> StoreResult:
        if not drafts:
            return StoreResult()
        documents = await asyncio.to_thread(lambda: [fingerprint(d) for d in drafts])
        result = StoreResult()
        for start in range(0, len(documents), BATCH):
            result.add(await self._insert_batch(source_id, documents[start : start + BATCH]))
        return result

    async def _insert_batch(self, source_id: int, batch: Sequence[NewDocument]) -> StoreResult:
        for attempt in range(1, RACE_ATTEMPTS + 1):
            try:
                async with self.database.transaction() as session:
                    return await self._insert_in(session, source_id, batch)
            except LostRace:
                log.info(
                    "source %d: a batch lost a race (attempt %d); judging again", source_id, attempt
                )
        raise RuntimeError(f"source {source_id}: a batch kept colliding with other inserts")

    async def _insert_in(
        self, session: AsyncSession, source_id: int, batch: Sequence[NewDocument]
    ) -> StoreResult:
        documents = IngestDocumentRepository(session)
        known = await documents.known(source_id, [d.external_id for d in batch])
        batch = [d for d in batch if d.external_id not in known]
        if not batch:
            return StoreResult()
        verdicts = await Deduplicator(documents).judge(batch)
        # In hash order: concurrent batches take the unique index's locks in one order.
        originals = sorted(
            (i for i, verdict in enumerate(verdicts) if verdict.is_original),
            key=lambda i: batch[i].content_hash,
        )
        ids = await documents.insert_many(
            [
                document_row(batch[i], source_id, semantic_pending=awaits_semantic_check(batch[i]))
                for i in originals
            ]
        )
        if len(ids) < len(originals):
            raise LostRace
        copies = [
            document_row(
                batch[i],
                source_id,
                duplicate_of=_original_id(verdict, batch, ids),
                duplicate_kind=verdict.kind,
            )
            for i, verdict in enumerate(verdicts)
            if not verdict.is_original
        ]
        await documents.insert_many(copies)
        return _count(verdicts)

    async def _replace(self, document_id: int, draft: Draft) -> None:
        """New text in place: judged again (exact and near now, semantic once the vector
        keeper has embedded it again)."""
        document = await asyncio.to_thread(fingerprint, draft)
        async with self.database.transaction() as session:
            documents = IngestDocumentRepository(session)
            (verdict,) = await Deduplicator(documents).judge([document], exclude=document_id)
            row = document_row(
                document,
                0,
                duplicate_of=verdict.stored_original,
                duplicate_kind=verdict.kind,
                semantic_pending=verdict.is_original and awaits_semantic_check(document),
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

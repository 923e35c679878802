"""Listings in search: an approved listing is a ``documents`` row of kind ``listing``.

- ``market.index_listing`` ``{"listing_id"}`` (moderation queues it on approval):
  brings the listing's document in line with the listing: written and embedded while it
  is approved (``listings.document_id`` points at it), deleted once it is not.
- ``market.unindex_listing`` ``{"listing_id"}``: deletes the document of a listing that
  is no longer approved (or no longer exists).
- ``market.reindex`` (every ``REINDEX_EVERY_S`` from the ``market.reindex`` schedule):
  indexes approved listings without a document or whose document is older than their
  last edit, and deletes the documents of listings no longer approved and of listings
  gone. A lost job is never a lost listing: the sweep catches up within minutes.

The document: title, text (title, description, city, category, price), language,
``published_at``, a passage embedding of the worker's model, ``external_id``
``listing:<id>`` and no source. It is written by the ingest pipeline's pieces (draft,
fingerprint, ``document_row``) but never de-duplicated: two sellers may write the same
text, and each listing must be found. Its content hash and simhash are therefore its
own (derived from the listing id and the text), so the unique index on originals'
hashes and ingest's exact and near layers never pair it with a post or another
listing. Ingest's semantic layer can still make a post a copy of a listing; before a
listing's document is deleted its copies get a new original (the oldest of them).

Idempotent: the listing row is locked while its document is written, a document whose
text and hash are current is left alone, and every step can run again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.ingest.models import Document
from concierge.api.market.models import Listing
from concierge.contracts.market import ListingStatus
from concierge.contracts.search import DocumentKind
from concierge.db import Database
from concierge.embedding import BatchingEmbedder
from concierge.streams import Job
from concierge.text.normalize import content_hash
from concierge.text.simhash import bands, to_signed
from concierge.worker.ingest.documents import Draft, NewDocument, fingerprint
from concierge.worker.ingest.repository import DocumentRepository, document_row
from concierge.worker.jobs import WorkerContext, WorkerJobs
from concierge.worker.scheduling.service import save_schedule
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

INDEX_JOB = "market.index_listing"
UNINDEX_JOB = "market.unindex_listing"
REINDEX_JOB = "market.reindex"
REINDEX_SCHEDULE = "market.reindex"
REINDEX_EVERY_S = 300.0
SWEEP_BATCH = 64  # listings embedded per sweep (one model call)
WRITE_ATTEMPTS = 3  # a listing edited while it was embedded is embedded again
Vectors = npt.NDArray[np.float32]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

jobs = WorkerJobs()


class Outcome(StrEnum):
    INDEXED = "indexed"  # written (new or changed)
    CURRENT = "current"  # the document already said this
    REMOVED = "removed"  # not approved (or gone): its document was deleted
    ABSENT = "absent"  # not approved and no document: nothing to do


@dataclass
class SweepResult:
    indexed: int = 0
    removed: int = 0
    failed: int = 0


def external_id(listing_id: int) -> str:
    return f"listing:{listing_id}"


def _clean(value: str) -> str:
    return " ".join(_CONTROL.sub("", value).split())


def _price(listing: Listing) -> str:
    amount = Decimal(listing.price).quantize(Decimal("0.01"))
    whole = amount == amount.to_integral_value()
    return f"{amount.to_integral_value() if whole else amount} {listing.currency}"


def listing_document(listing: Listing) -> NewDocument:
    """The listing as a document: ingest's draft and fingerprints, with the listing's
    own content hash and simhash (see the module's docstring)."""
    title = _clean(listing.title)
    parts = [title, _CONTROL.sub("", listing.description).strip(), _clean(listing.city)]
    parts += [listing.category, _price(listing)]
    body = "\n".join(part for part in parts if part)
    draft = Draft(
        external_id=external_id(listing.id),
        kind=DocumentKind.LISTING,
        url=None,
        title=title,
        text=body,
        published_at=listing.published_at or listing.updated_at,  # approval sets it
    )
    own_hash = content_hash(f"{draft.external_id} {body}")
    own_simhash = int(own_hash[:16], 16)  # as good as random: near-duplicate of nothing
    return replace(
        fingerprint(draft),
        content_hash=own_hash,
        simhash=to_signed(own_simhash),
        bands=bands(own_simhash),
        attributes={
            "listing_id": listing.id,
            "category": listing.category,
            "city": listing.city,
            "price": str(listing.price),
            "currency": listing.currency,
        },
    )


class ListingIndexRepository:
    """Every query of listing indexing."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def listings(self, ids: Sequence[int], *, lock: bool = False) -> dict[int, Listing]:
        query = select(Listing).where(Listing.id.in_(list(ids))).order_by(Listing.id)
        if lock:
            query = query.with_for_update()
        return {listing.id: listing for listing in await self.session.scalars(query)}

    async def document(self, document_id: int) -> tuple[str, str | None, datetime] | None:
        """(content hash, embedding model, published_at) of a document."""
        row = (
            await self.session.execute(
                select(
                    Document.content_hash, Document.embedding_model, Document.published_at
                ).where(Document.id == document_id)
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def touch(self, document_id: int) -> None:
        """The document is current: say so, so the sweep does not come back for it."""
        await self.session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(fetched_at=text("now()"))
            .execution_options(synchronize_session=False)
        )

    async def documents_by_external_id(self, listing_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(Document.id).where(
                Document.kind == DocumentKind.LISTING,
                Document.source_id.is_(None),
                Document.external_id == external_id(listing_id),
            )
        )
        return list(rows)

    async def insert(self, row: dict[str, Any]) -> int:
        inserted = await DocumentRepository(self.session).insert_many([row])
        if row["external_id"] not in inserted:  # only the listing's own hash could clash
            raise RuntimeError(f"{row['external_id']}: its document exists already")
        return inserted[row["external_id"]]

    async def overwrite(self, document_id: int, row: dict[str, Any]) -> None:
        values = {k: v for k, v in row.items() if k not in ("source_id", "external_id", "kind")}
        await DocumentRepository(self.session).replace(document_id, values)

    async def link(self, listing_id: int, document_id: int | None) -> None:
        """Point the listing at its document; not an edit, so ``updated_at`` stays."""
        await self.session.execute(
            update(Listing)
            .where(Listing.id == listing_id)
            .values(document_id=document_id, updated_at=Listing.updated_at)
            .execution_options(synchronize_session=False)
        )

    async def delete_document(self, document_id: int) -> None:
        """Delete a listing's document; copies of it (posts ingest judged semantic
        copies) get the oldest of them, or an original with its text, as original."""
        copies = (
            await self.session.execute(
                select(Document.id, Document.content_hash)
                .where(Document.duplicate_of == document_id)
                .order_by(Document.published_at, Document.id)
                .with_for_update()
            )
        ).all()
        if copies:
            heir_id, heir_hash = copies[0]
            originals = await DocumentRepository(self.session).originals_by_hash([heir_hash])
            root = originals.get(heir_hash)
            if root is None:
                root = heir_id
                await self._set_original(heir_id, None, None)
            others = [id_ for id_, _ in copies if id_ != root]
            if others:
                await self.session.execute(
                    update(Document)
                    .where(Document.id.in_(others))
                    .values(duplicate_of=root)
                    .execution_options(synchronize_session=False)
                )
        await self.session.execute(delete(Document).where(Document.id == document_id))

    async def _set_original(
        self, document_id: int, duplicate_of: int | None, kind: str | None
    ) -> None:
        await self.session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(duplicate_of=duplicate_of, duplicate_kind=kind)
            .execution_options(synchronize_session=False)
        )

    async def stale(self, limit: int) -> list[int]:
        """Approved listings without a current document, oldest first."""
        rows = await self.session.scalars(
            text(
                "SELECT l.id FROM listings l LEFT JOIN documents d ON d.id = l.document_id "
                "WHERE l.status = :approved AND (d.id IS NULL OR d.fetched_at < l.updated_at) "
                "ORDER BY l.id LIMIT :limit"
            ),
            {"approved": ListingStatus.APPROVED.value, "limit": limit},
        )
        return list(rows)

    async def withdrawn(self, limit: int) -> list[int]:
        """Listings no longer approved that still have a document."""
        rows = await self.session.scalars(
            text(
                "SELECT id FROM listings WHERE status <> :approved AND document_id IS NOT NULL "
                "ORDER BY id LIMIT :limit"
            ),
            {"approved": ListingStatus.APPROVED.value, "limit": limit},
        )
        return list(rows)

    async def orphans(self, limit: int) -> list[int]:
        """Listing documents no listing points at (the listing was deleted)."""
        rows = await self.session.scalars(
            text(
                "SELECT d.id FROM documents d WHERE d.kind = 'listing' AND d.source_id IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM listings l WHERE l.document_id = d.id) "
                "ORDER BY d.id LIMIT :limit FOR UPDATE OF d SKIP LOCKED"
            ),
            {"limit": limit},
        )
        return list(rows)


Embedder = Callable[[], Awaitable[BatchingEmbedder]]


class ListingIndexer:
    """``embedder`` gives the worker's (shared, batching) model, loaded on first use."""

    def __init__(self, database: Database, embedder: Embedder, model: str) -> None:
        self.database = database
        self.embedder = embedder
        self.model = model

    async def sync(self, listing_id: int) -> Outcome:
        """The listing's document as the listing is now."""
        return (await self.sync_many([listing_id]))[listing_id]

    async def sync_many(self, listing_ids: Sequence[int]) -> dict[int, Outcome]:
        """Each listing's document as it is now; embedded in one model call."""
        outcomes: dict[int, Outcome] = {}
        pending = list(dict.fromkeys(listing_ids))
        for _ in range(WRITE_ATTEMPTS):
            if not pending:
                break
            planned = await self._plan(pending, outcomes)
            if not planned:
                break
            vectors = await self._embed([document for _, document in planned])
            pending = await self._write(planned, vectors, outcomes)
        for listing_id in pending:  # edited during every attempt: the sweep comes back
            log.warning("listing %d kept changing while it was indexed", listing_id)
        return outcomes

    async def remove(self, listing_id: int) -> Outcome:
        """Delete the document of a listing that is not approved (or does not exist)."""
        async with self.database.transaction() as session:
            repository = ListingIndexRepository(session)
            listing = (await repository.listings([listing_id], lock=True)).get(listing_id)
            if listing is not None and listing.status == ListingStatus.APPROVED:
                return Outcome.CURRENT  # approved again meanwhile: its document stays
            return await self._remove_in(repository, listing_id, listing)

    async def sweep(self, batch: int = SWEEP_BATCH) -> SweepResult:
        result = SweepResult()
        async with self.database.transaction() as session:
            repository = ListingIndexRepository(session)
            for document_id in await repository.orphans(batch):
                await repository.delete_document(document_id)
                result.removed += 1
        async with self.database.transaction() as session:
            withdrawn = await ListingIndexRepository(session).withdrawn(batch)
        for listing_id in withdrawn:
            if await self.remove(listing_id) == Outcome.REMOVED:
                result.removed += 1
        async with self.database.transaction() as session:
            stale = await ListingIndexRepository(session).stale(batch)
        try:
            outcomes = await self.sync_many(stale)
        except Exception:  # one bad listing must not stop the others: one at a time
            log.exception("indexing %d listings together failed; one by one now", len(stale))
            outcomes = await self._one_by_one(stale, result)
        result.indexed += sum(outcome == Outcome.INDEXED for outcome in outcomes.values())
        result.removed += sum(outcome == Outcome.REMOVED for outcome in outcomes.values())
        return result

    async def _one_by_one(
        self, listing_ids: Sequence[int], result: SweepResult
    ) -> dict[int, Outcome]:
        outcomes: dict[int, Outcome] = {}
        for listing_id in listing_ids:
            try:
                outcomes[listing_id] = await self.sync(listing_id)
            except Exception:
                log.exception("could not index listing %d", listing_id)
                result.failed += 1
        return outcomes

    async def _plan(
        self, listing_ids: Sequence[int], outcomes: dict[int, Outcome]
    ) -> list[tuple[int, NewDocument]]:
        """The documents to embed; listings that need no embedding are settled here."""
        planned: list[tuple[int, NewDocument]] = []
        async with self.database.transaction() as session:
            repository = ListingIndexRepository(session)
            listings = await repository.listings(listing_ids)
            for listing_id in listing_ids:
                listing = listings.get(listing_id)
                if listing is None or listing.status != ListingStatus.APPROVED:
                    continue
                document = await asyncio.to_thread(listing_document, listing)
                if await self._current(repository, listing, document):
                    outcomes[listing_id] = Outcome.CURRENT
                else:
                    planned.append((listing_id, document))
        for listing_id in listing_ids:
            listing = listings.get(listing_id)
            if listing is None or listing.status != ListingStatus.APPROVED:
                outcomes[listing_id] = await self.remove(listing_id)
        return planned

    async def _current(
        self, repository: ListingIndexRepository, listing: Listing, document: NewDocument
    ) -> bool:
        if listing.document_id is None:
            return False
        stored = await repository.document(listing.document_id)
        if stored != (document.content_hash, self.model, document.published_at):
            return False
        await repository.touch(listing.document_id)
        return True

    async def _embed(self, documents: Sequence[NewDocument]) -> Vectors:
        model = await self.embedder()
        return await model.embed([document.embed_text for document in documents], "passage")

    async def _write(
        self,
        planned: Sequence[tuple[int, NewDocument]],
        vectors: Vectors,
        outcomes: dict[int, Outcome],
    ) -> list[int]:
        """Write the documents of the listings that did not change since they were read;
        returns the ones that did (to embed again)."""
        changed: list[int] = []
        async with self.database.transaction() as session:
            repository = ListingIndexRepository(session)
            locked = await repository.listings([listing_id for listing_id, _ in planned], lock=True)
            for (listing_id, document), vector in zip(planned, vectors, strict=True):
                listing = locked.get(listing_id)
                if listing is None or listing.status != ListingStatus.APPROVED:
                    outcomes[listing_id] = await self._remove_in(repository, listing_id, listing)
                    continue
                fresh = listing_document(listing)
                if fresh.content_hash != document.content_hash:
                    changed.append(listing_id)
                    continue
                await self._store(repository, listing, document, vector)
                outcomes[listing_id] = Outcome.INDEXED
        return changed

    async def _store(
        self,
        repository: ListingIndexRepository,
        listing: Listing,
        document: NewDocument,
        vector: npt.NDArray[np.float32],
    ) -> None:
        row = document_row(document, 0, vector, self.model, None, None)
        row["source_id"] = None  # a listing has no source
        found = await repository.documents_by_external_id(listing.id)
        if listing.document_id is not None:
            found = [listing.document_id, *(id_ for id_ in found if id_ != listing.document_id)]
        if not found:
            await repository.link(listing.id, await repository.insert(row))
            return
        # The linked document, or one whose link was lost: overwritten; any other goes.
        await repository.overwrite(found[0], row)
        if found[0] != listing.document_id:
            await repository.link(listing.id, found[0])
        for extra in found[1:]:
            await repository.delete_document(extra)

    async def _remove_in(
        self, repository: ListingIndexRepository, listing_id: int, listing: Listing | None
    ) -> Outcome:
        found = await repository.documents_by_external_id(listing_id)
        if listing is not None and listing.document_id is not None:
            found.append(listing.document_id)
            await repository.link(listing_id, None)
        for document_id in sorted(set(found)):
            await repository.delete_document(document_id)
        return Outcome.REMOVED if found else Outcome.ABSENT


def listing_indexer(ctx: WorkerContext) -> ListingIndexer:
    return ListingIndexer(ctx.database, ctx.embedding.get, ctx.settings.embedding_model)


def _listing_id(job: Job) -> int:
    return int(job.payload["listing_id"])


@jobs.handler(INDEX_JOB)
async def index_listing(job: Job, ctx: WorkerContext) -> None:
    outcome = await listing_indexer(ctx).sync(_listing_id(job))
    log.info("listing %s: %s", job.payload["listing_id"], outcome.value)


@jobs.handler(UNINDEX_JOB)
async def unindex_listing(job: Job, ctx: WorkerContext) -> None:
    outcome = await listing_indexer(ctx).remove(_listing_id(job))
    log.info("listing %s: %s", job.payload["listing_id"], outcome.value)


@jobs.handler(REINDEX_JOB)
async def reindex(job: Job, ctx: WorkerContext) -> None:
    result = await listing_indexer(ctx).sweep()
    if result.indexed or result.removed or result.failed:
        log.info(
            "listing sweep: %d indexed, %d removed, %d failed",
            result.indexed,
            result.removed,
            result.failed,
        )


async def save_reindex_schedule(database: Database, settings: WorkerSettings) -> None:
    """Create (or update) the sweep's schedule; paused with ingest (WORKER_INGEST_ENABLED),
    whose documents and model it shares."""
    async with database.transaction() as session:
        await save_schedule(
            session,
            REINDEX_SCHEDULE,
            REINDEX_JOB,
            every_s=REINDEX_EVERY_S,
            enabled=settings.ingest_enabled,
        )

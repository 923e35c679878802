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
``published_at``, ``external_id`` ``listing:<id>`` and no source; the vector keeper
embeds it moments after it is written (and again whenever its text changes). It is
written by the ingest pipeline's pieces (draft, fingerprint, ``document_row``) but
never de-duplicated: two sellers may write the same
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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from concierge.contracts.market import ListingStatus
from concierge.contracts.search import DocumentKind
from concierge.db import Database
from concierge.domain.market.models import Listing
from concierge.text.normalize import content_hash
from concierge.text.simhash import bands, to_signed
from concierge.worker.ingest.documents import Draft, NewDocument, fingerprint
from concierge.worker.ingest.repository import document_row
from concierge.worker.market.repository import ListingIndexRepository, external_id

log = logging.getLogger(__name__)

SWEEP_BATCH = 64  # listings indexed per sweep
WRITE_ATTEMPTS = 3  # a listing edited while its document was made is made again
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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


class ListingIndexer:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def sync(self, listing_id: int) -> Outcome:
        """The listing's document as the listing is now."""
        return (await self.sync_many([listing_id]))[listing_id]

    async def sync_many(self, listing_ids: Sequence[int]) -> dict[int, Outcome]:
        """Each listing's document as it is now."""
        outcomes: dict[int, Outcome] = {}
        pending = list(dict.fromkeys(listing_ids))
        for _ in range(WRITE_ATTEMPTS):
            if not pending:
                break
            planned = await self._plan(pending, outcomes)
            if not planned:
                break
            pending = await self._write(planned, outcomes)
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
                await repository.documents.delete_documents([document_id])
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
        """The documents to write; listings whose document is current are settled here."""
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
        if stored != (document.content_hash, document.published_at):
            return False
        await repository.documents.touch(listing.document_id)
        return True

    async def _write(
        self,
        planned: Sequence[tuple[int, NewDocument]],
        outcomes: dict[int, Outcome],
    ) -> list[int]:
        """Write the documents of the listings that did not change since they were read;
        returns the ones that did (to make again)."""
        changed: list[int] = []
        async with self.database.transaction() as session:
            repository = ListingIndexRepository(session)
            locked = await repository.listings([listing_id for listing_id, _ in planned], lock=True)
            for listing_id, document in planned:
                listing = locked.get(listing_id)
                if listing is None or listing.status != ListingStatus.APPROVED:
                    outcomes[listing_id] = await self._remove_in(repository, listing_id, listing)
                    continue
                fresh = listing_document(listing)
                if fresh.content_hash != document.content_hash:
                    changed.append(listing_id)
                    continue
                await self._store(repository, listing, document)
                outcomes[listing_id] = Outcome.INDEXED
        return changed

    async def _store(
        self,
        repository: ListingIndexRepository,
        listing: Listing,
        document: NewDocument,
    ) -> None:
        row = document_row(document, 0)
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
        await repository.documents.delete_documents(found[1:])

    async def _remove_in(
        self, repository: ListingIndexRepository, listing_id: int, listing: Listing | None
    ) -> Outcome:
        found = await repository.documents_by_external_id(listing_id)
        if listing is not None and listing.document_id is not None:
            found.append(listing.document_id)
            await repository.link(listing_id, None)
        await repository.documents.delete_documents(sorted(set(found)))
        return Outcome.REMOVED if found else Outcome.ABSENT

"""Every query the worker's market jobs make: listings and their search documents, and
listing photos (thumbnails). Document rows themselves go through the shared
``concierge.domain.ingest.repository.DocumentRepository``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.market import ListingStatus
from concierge.contracts.search import DocumentKind
from concierge.db.repository import Repository
from concierge.domain.ingest.models import Document
from concierge.domain.ingest.repository import DocumentRepository
from concierge.domain.market.models import Listing, ListingPhoto


def external_id(listing_id: int) -> str:
    """The ``external_id`` of a listing's document."""
    return f"listing:{listing_id}"


class ListingIndexRepository:
    """Listings and their documents, for indexing."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.documents = DocumentRepository(session)

    async def listings(self, ids: Sequence[int], *, lock: bool = False) -> dict[int, Listing]:
        query = select(Listing).where(Listing.id.in_(list(ids))).order_by(Listing.id)
        if lock:
            query = query.with_for_update()
        return {listing.id: listing for listing in await self.session.scalars(query)}

    async def document(self, document_id: int) -> tuple[str, datetime] | None:
        """(content hash, published_at) of a document."""
        row = (
            await self.session.execute(
                select(Document.content_hash, Document.published_at).where(
                    Document.id == document_id
                )
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def documents_by_external_id(self, listing_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(Document.id).where(
                Document.kind == DocumentKind.LISTING,
                Document.source_id.is_(None),
                Document.external_id == external_id(listing_id),
            )
        )
        return list(rows)

    async def insert(self, row: dict[str, object]) -> int:
        inserted = await self.documents.insert_many([row])
        if row["external_id"] not in inserted:  # only the listing's own hash could clash
            raise RuntimeError(f"{row['external_id']}: its document exists already")
        return inserted[str(row["external_id"])]

    async def overwrite(self, document_id: int, row: dict[str, object]) -> None:
        values = {k: v for k, v in row.items() if k not in ("source_id", "external_id", "kind")}
        await self.documents.replace(document_id, values)

    async def link(self, listing_id: int, document_id: int | None) -> None:
        """Point the listing at its document; not an edit, so ``updated_at`` stays."""
        await self.session.execute(
            update(Listing)
            .where(Listing.id == listing_id)
            .values(document_id=document_id, updated_at=Listing.updated_at)
            .execution_options(synchronize_session=False)
        )

    async def stale(self, limit: int) -> list[int]:
        """Approved listings without a current document, oldest first."""
        rows = await self.session.scalars(
            select(Listing.id)
            .outerjoin(Document, Document.id == Listing.document_id)
            .where(
                Listing.status == ListingStatus.APPROVED,
                (Document.id.is_(None)) | (Document.fetched_at < Listing.updated_at),
            )
            .order_by(Listing.id)
            .limit(limit)
        )
        return list(rows)

    async def withdrawn(self, limit: int) -> list[int]:
        """Listings no longer approved that still have a document."""
        rows = await self.session.scalars(
            select(Listing.id)
            .where(Listing.status != ListingStatus.APPROVED, Listing.document_id.is_not(None))
            .order_by(Listing.id)
            .limit(limit)
        )
        return list(rows)

    async def orphans(self, limit: int) -> list[int]:
        """Listing documents no listing points at (the listing was deleted)."""
        pointed_at = select(Listing.id).where(Listing.document_id == Document.id).exists()
        rows = await self.session.scalars(
            select(Document.id)
            .where(Document.kind == DocumentKind.LISTING, Document.source_id.is_(None), ~pointed_at)
            .order_by(Document.id)
            .limit(limit)
            .with_for_update(of=Document, skip_locked=True)
        )
        return list(rows)


class PhotoRepository(Repository[ListingPhoto]):
    model = ListingPhoto

    async def locked(self, photo_id: int) -> ListingPhoto | None:
        return await self.session.get(ListingPhoto, photo_id, with_for_update=True)

"""Browsing and searching listings: ``GET /api/v1/listings`` (the Mini App's search page).

Approved listings only, for any signed-in user. Without ``q``: the newest published
first, with the filters, paged by (published_at, id). With ``q``: the hybrid search
restricted to listing documents and the same filters (joined from ``listings`` in the
search's one statement), in its order, paged by its signed cursor. Either way the page
is ``ListingRead``s as the caller sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field, field_validator
from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.identity.deps import WebUser
from concierge.api.identity.models import User
from concierge.api.market.models import Listing
from concierge.api.market.reads import ListingReader, ListingReaderDep
from concierge.api.market.schemas import Cursor, ListingPage, keyset_page
from concierge.api.search.deps import SearchServiceDep
from concierge.api.search.schemas import MAX_CURSOR_LENGTH, ListingFilterParams, SearchParams
from concierge.api.search.service import SearchService
from concierge.contracts.market import ListingStatus
from concierge.contracts.search import MAX_PAGE, DocumentKind
from concierge.contracts.search import Query as SearchQuery

router = APIRouter(prefix="/listings", tags=["market"])


class BrowseParams(ListingFilterParams):
    """``GET /listings``'s query string."""

    q: SearchQuery | None = Field(None, description="Words or a question; empty: browse")
    limit: int = Field(20, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(None, max_length=MAX_CURSOR_LENGTH)

    @field_validator("q", "city", "cursor", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: object) -> object:
        """A form's empty field is no filter."""
        return None if isinstance(value, str) and not value.strip() else value


class BrowseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def newest(
        self, params: ListingFilterParams, after: Cursor | None, limit: int
    ) -> Sequence[Listing]:
        """Approved listings with the filters, the most recently published first."""
        query = select(Listing).where(
            Listing.status == ListingStatus.APPROVED, Listing.published_at.is_not(None)
        )
        if params.category is not None:
            query = query.where(Listing.category == params.category)
        if params.city is not None:
            query = query.where(func.lower(Listing.city) == params.city.lower())
        if params.price_min is not None:
            query = query.where(Listing.price >= params.price_min)
        if params.price_max is not None:
            query = query.where(Listing.price <= params.price_max)
        if params.currency is not None:
            query = query.where(Listing.currency == params.currency)
        if after is not None:
            query = query.where(tuple_(Listing.published_at, Listing.id) < (after.at, after.id))
        query = query.order_by(Listing.published_at.desc(), Listing.id.desc()).limit(limit)
        return (await self.session.scalars(query)).all()

    async def approved(self, ids: Sequence[int]) -> dict[int, Listing]:
        if not ids:
            return {}
        rows = await self.session.scalars(
            select(Listing).where(Listing.id.in_(ids), Listing.status == ListingStatus.APPROVED)
        )
        return {listing.id: listing for listing in rows}


class BrowseService:
    def __init__(self, reads: ListingReader, search: SearchService) -> None:
        self.reads = reads
        self.repository = BrowseRepository(reads.session)
        self.search_service = search

    async def page(self, params: BrowseParams, viewer: User) -> ListingPage:
        if params.q is None:
            return await self.browse(params, viewer)
        return await self.search(params, params.q, viewer)

    async def browse(self, params: BrowseParams, viewer: User) -> ListingPage:
        after = Cursor.decode(params.cursor) if params.cursor else None
        rows = await self.repository.newest(params, after, params.limit + 1)
        rows, next_cursor = keyset_page(rows, params.limit, _published_cursor)
        items = await self.reads.many(rows, viewer)
        return ListingPage(items=items, next_cursor=next_cursor)

    async def search(self, params: BrowseParams, q: str, viewer: User) -> ListingPage:
        found = await self.search_service.search(
            SearchParams(
                q=q,
                kind=DocumentKind.LISTING,
                limit=params.limit,
                cursor=params.cursor,
                category=params.category,
                city=params.city,
                price_min=params.price_min,
                price_max=params.price_max,
                currency=params.currency,
            )
        )
        ids = [hit.listing_id for hit in found.items if hit.listing_id is not None]
        listings = await self.repository.approved(ids)
        ordered = [listings[id_] for id_ in ids if id_ in listings]
        items = await self.reads.many(ordered, viewer)
        return ListingPage(items=items, next_cursor=found.next_cursor)


@router.get("", response_model=ListingPage)
async def browse_listings(
    params: Annotated[BrowseParams, Query()],
    user: WebUser,
    reads: ListingReaderDep,
    search: SearchServiceDep,
) -> ListingPage:
    """Approved listings. Without ``q`` the newest first; with ``q`` the best matches
    (full text and meaning). Filters: ``category``, ``city`` (exact, any case),
    ``price_min``/``price_max``, ``currency``. Pass ``next_cursor`` back as ``cursor``."""
    return await BrowseService(reads, search).page(params, user)


def _published_cursor(listing: Listing) -> Cursor:
    assert listing.published_at is not None  # every approved listing was published
    return Cursor(listing.published_at, listing.id)

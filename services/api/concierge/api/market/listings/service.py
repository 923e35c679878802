"""Listing rules: a listing's life (draft → pending → approved | rejected → archived),
the caps, and browsing and searching the approved ones.

Every single-listing lookup goes through ``access`` (another user's draft is a 404).
Notifications are outbox rows in the request's transaction; the worker's jobs (index or
unindex a listing) wait for the commit (``AfterCommit``), so the worker never reads a
listing older than the job. Moderation's decisions: ``market.moderation.service``.

Editing an approved or rejected listing sends it back to pending. A rejected
listing's reason stays on it until the next decision (the owner sees what to fix
while it waits, and the moderator sees what was asked); approval clears it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from concierge.api.after_commit import AfterCommit
from concierge.api.market.access import owned_listing, visible_listing
from concierge.api.market.listings.repository import ListingRepository
from concierge.api.market.listings.schemas import (
    BrowseParams,
    ListingCreate,
    ListingStatus,
    ListingUpdate,
)
from concierge.api.market.notifications import listing_pending
from concierge.api.notify.service import NotifyService
from concierge.api.paging import CursorCodec, Keyset, KeysetPager
from concierge.api.search.schemas import SearchParams
from concierge.api.search.service import SearchService
from concierge.common.clock import utcnow
from concierge.common.errors import Conflict
from concierge.contracts.jobs import UNINDEX_LISTING, ListingPayload
from concierge.contracts.market import MAX_ACTIVE_LISTINGS
from concierge.contracts.search import DocumentKind
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing

MODERATED = (ListingStatus.APPROVED, ListingStatus.REJECTED)
SUBMITTABLE = (ListingStatus.DRAFT, ListingStatus.REJECTED)
CENT = Decimal("0.01")


def normalised(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields as the database will store them: prices to the cent."""
    if fields.get("price") is not None:
        fields["price"] = Decimal(fields["price"]).quantize(CENT)
    return fields


class ListingService:
    def __init__(
        self,
        listings: ListingRepository,
        notify: NotifyService,
        after_commit: AfterCommit,
        cursors: CursorCodec,
        webapp_url: str,
    ) -> None:
        self.listings = listings
        self.notify = notify
        self.after_commit = after_commit
        self.cursors = cursors
        self.webapp_url = webapp_url

    async def create(self, owner: User, data: ListingCreate) -> Listing:
        fields = normalised(data.model_dump())
        if await self.listings.count_active(owner) >= MAX_ACTIVE_LISTINGS:
            raise Conflict(
                f"You have {MAX_ACTIVE_LISTINGS} active listings, the most allowed: "
                "archive one to create another"
            )
        listing = Listing(owner_id=owner.id, status=ListingStatus.DRAFT, **fields)
        listing.updated_at = utcnow()
        return await self.listings.add(listing)

    async def get(self, viewer: User, listing_id: int) -> Listing:
        return await visible_listing(self.listings, listing_id, viewer)

    async def mine(
        self, owner: User, status: ListingStatus | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[Listing], str | None]:
        pager = KeysetPager(self.cursors, f"listings.mine:{owner.id}:{status}")
        rows = await self.listings.mine(owner, status, pager.after(cursor), limit + 1)
        return pager.page(rows, limit, lambda listing: Keyset(listing.updated_at, listing.id))

    async def update(self, owner: User, listing_id: int, data: ListingUpdate) -> Listing:
        listing = await owned_listing(self.listings, listing_id, owner)
        sent = normalised(data.model_dump(exclude_unset=True))
        if listing.status == ListingStatus.ARCHIVED:
            raise Conflict("An archived listing cannot be edited")
        changes = {name: value for name, value in sent.items() if getattr(listing, name) != value}
        if not changes:
            return listing
        for name, value in changes.items():
            setattr(listing, name, value)
        await self.edited(owner, listing)
        return listing

    async def edited(self, owner: User, listing: Listing) -> None:
        """The owner changed the listing (its fields or photos): a new revision; a
        moderated listing goes back to moderation, and leaves search until it is
        approved again. A moderator's decision on an older revision is refused."""
        was_approved = listing.status == ListingStatus.APPROVED
        remoderate = listing.status in MODERATED
        listing.updated_at = utcnow()
        listing.revision += 1
        if remoderate:
            listing.status = ListingStatus.PENDING
            listing.submitted_at = listing.updated_at
            listing.published_at = None
        await self.listings.audit(listing, owner, "edited")
        if remoderate:
            await self._announce(listing)
        if was_approved:
            self.after_commit.enqueue(UNINDEX_LISTING, ListingPayload(listing_id=listing.id))

    async def submit(self, owner: User, listing_id: int) -> Listing:
        listing = await owned_listing(self.listings, listing_id, owner)
        if listing.status == ListingStatus.PENDING:
            return listing  # pressed twice: it is already waiting
        if listing.status not in SUBMITTABLE:
            raise Conflict(f"A {listing.status} listing cannot be sent to moderation")
        listing.status = ListingStatus.PENDING
        listing.submitted_at = listing.updated_at = utcnow()
        await self.listings.audit(listing, owner, "submitted")
        await self._announce(listing)
        return listing

    async def archive(self, owner: User, listing_id: int) -> Listing:
        listing = await owned_listing(self.listings, listing_id, owner)
        if listing.status == ListingStatus.ARCHIVED:
            raise Conflict("The listing is already archived")
        was_approved = listing.status == ListingStatus.APPROVED
        listing.status = ListingStatus.ARCHIVED
        listing.archived_at = listing.updated_at = utcnow()
        await self.listings.audit(listing, owner, "archived")
        if was_approved:
            self.after_commit.enqueue(UNINDEX_LISTING, ListingPayload(listing_id=listing.id))
        return listing

    async def _announce(self, listing: Listing) -> None:
        """Tell every admin a listing waits for moderation."""
        assert listing.submitted_at is not None
        for admin in await self.listings.admins():
            await self.notify.enqueue(
                listing_pending(listing, admin, listing.submitted_at, self.webapp_url)
            )


class BrowseService:
    """Approved listings for any signed-in user. Without ``q``: the newest published
    first, with the filters, paged by (published_at, id). With ``q``: the hybrid search
    restricted to listing documents and the same filters, in its order and paging."""

    def __init__(
        self, listings: ListingRepository, search: SearchService, cursors: CursorCodec
    ) -> None:
        self.listings = listings
        self.search_service = search
        self.cursors = cursors

    async def page(self, params: BrowseParams) -> tuple[Sequence[Listing], str | None]:
        if params.q is None:
            return await self.newest(params)
        return await self.search(params, params.q)

    async def newest(self, params: BrowseParams) -> tuple[Sequence[Listing], str | None]:
        filters = params.model_dump_json(include=set(SearchParams.listing_filter_names()))
        pager = KeysetPager(self.cursors, f"listings.browse:{filters}")
        rows = await self.listings.newest(params, pager.after(params.cursor), params.limit + 1)
        return pager.page(rows, params.limit, _published)

    async def search(self, params: BrowseParams, q: str) -> tuple[Sequence[Listing], str | None]:
        found = await self.search_service.search(
            SearchParams(
                q=q,
                kind=DocumentKind.LISTING,
                limit=params.limit,
                cursor=params.cursor,
                **params.model_dump(include=set(SearchParams.listing_filter_names())),
            )
        )
        ids = [hit.listing_id for hit in found.items if hit.listing_id is not None]
        listings = await self.listings.approved(ids)
        return [listings[id_] for id_ in ids if id_ in listings], found.next_cursor


def _published(listing: Listing) -> Keyset:
    assert listing.published_at is not None  # every approved listing was published
    return Keyset(listing.published_at, listing.id)

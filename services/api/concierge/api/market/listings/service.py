"""Listing rules: a listing's life (draft → pending → approved | rejected → archived;
approved → expired → approved again when renewed), its availability (the seller marks
it reserved or sold), the caps, views, and browsing and searching the approved ones.

Every single-listing lookup goes through ``access`` (another user's draft is a 404).
Notifications are outbox rows in the request's transaction; the worker's jobs (index or
unindex a listing) wait for the commit (``AfterCommit``), so the worker never reads a
listing older than the job. Moderation's decisions: ``market.moderation.service``.

Editing an approved, rejected or expired listing sends it back to pending. A rejected
listing's reason stays on it until the next decision (the owner sees what to fix
while it waits, and the moderator sees what was asked); approval clears it.

A published listing stays in search for ``API_LISTING_LIFETIME_S`` (30 days); the
seller is reminded ``API_LISTING_REMINDER_S`` before (3 days) and can renew it (from
then on, or after it expired) for another lifetime without moderation: its text did
not change. The worker asks for the sweep every few minutes (``expiry_sweep``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
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
from concierge.api.market.notifications import (
    availability_changed,
    listing_expired,
    listing_expiring,
    listing_pending,
)
from concierge.api.market.pricing import suggested_currency
from concierge.api.notify.service import NotifyService
from concierge.api.paging import CursorCodec, Keyset, KeysetPager
from concierge.api.search.schemas import SearchParams
from concierge.api.search.service import SearchService
from concierge.common.clock import utcnow
from concierge.common.errors import Conflict
from concierge.contracts.errors import ErrorCode
from concierge.contracts.identity import Language
from concierge.contracts.jobs import INDEX_LISTING, UNINDEX_LISTING, ListingPayload
from concierge.contracts.market import (
    MAX_ACTIVE_LISTINGS,
    Availability,
    Currency,
    ExpirySweep,
)
from concierge.contracts.search import DocumentKind
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing

MODERATED = (ListingStatus.APPROVED, ListingStatus.REJECTED, ListingStatus.EXPIRED)
SUBMITTABLE = (ListingStatus.DRAFT, ListingStatus.REJECTED)
RENEWABLE = (ListingStatus.APPROVED, ListingStatus.EXPIRED)
CENT = Decimal("0.01")
SWEEP_BATCH = 200


@dataclass(frozen=True)
class Lifetime:
    """How long a published listing stays, and how long before the end its seller hears."""

    lifetime: timedelta
    reminder: timedelta

    @property
    def days(self) -> int:
        return max(1, round(self.lifetime / timedelta(days=1)))


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
        lifetime: Lifetime,
    ) -> None:
        self.listings = listings
        self.notify = notify
        self.after_commit = after_commit
        self.cursors = cursors
        self.webapp_url = webapp_url
        self.lifetime = lifetime

    async def suggested_currency(self, owner: User, city: str | None) -> Currency:
        language = Language(owner.language) if owner.language else None
        last = await self.listings.last_currency(owner.id)
        return suggested_currency(city, last, owner.language_code, language)

    async def create(self, owner: User, data: ListingCreate) -> Listing:
        fields = normalised(data.model_dump())
        if await self.listings.count_active(owner) >= MAX_ACTIVE_LISTINGS:
            raise Conflict(
                f"You have {MAX_ACTIVE_LISTINGS} active listings, the most allowed: "
                "archive one to create another",
                code=ErrorCode.TOO_MANY_LISTINGS,
                params={"max": MAX_ACTIVE_LISTINGS},
            )
        if fields["currency"] is None:
            fields["currency"] = await self.suggested_currency(owner, data.city)
        listing = Listing(owner_id=owner.id, status=ListingStatus.DRAFT, **fields)
        listing.updated_at = utcnow()
        return await self.listings.add(listing)

    async def get(self, viewer: User, listing_id: int) -> Listing:
        return await visible_listing(self.listings, listing_id, viewer)

    async def open(self, viewer: User, listing_id: int) -> Listing:
        """The listing as a person opens it: another person's look at a published one
        counts as a view (once per person)."""
        listing = await self.get(viewer, listing_id)
        if listing.owner_id != viewer.id and listing.status == ListingStatus.APPROVED:
            await self.listings.record_view(listing.id, viewer.id)
        return listing

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
            raise Conflict("An archived listing cannot be edited", code=ErrorCode.LISTING_ARCHIVED)
        changes = {name: value for name, value in sent.items() if getattr(listing, name) != value}
        # Whether buyers may write directly is the seller's setting, not the listing's text.
        direct = changes.pop("allow_direct_contact", None)
        if direct is not None:
            listing.allow_direct_contact = direct
            listing.updated_at = utcnow()  # set here, or the database sets it unread
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
            listing.published_at = listing.expires_at = listing.expiry_reminded_at = None
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
            raise Conflict(
                f"A {listing.status} listing cannot be sent to moderation",
                code=ErrorCode.LISTING_NOT_SUBMITTABLE,
                params={"status": listing.status},
            )
        listing.status = ListingStatus.PENDING
        listing.submitted_at = listing.updated_at = utcnow()
        await self.listings.audit(listing, owner, "submitted")
        await self._announce(listing)
        return listing

    async def archive(self, owner: User, listing_id: int) -> Listing:
        listing = await owned_listing(self.listings, listing_id, owner)
        if listing.status == ListingStatus.ARCHIVED:
            raise Conflict("The listing is already archived", code=ErrorCode.LISTING_ARCHIVED)
        was_approved = listing.status == ListingStatus.APPROVED
        listing.status = ListingStatus.ARCHIVED
        listing.archived_at = listing.updated_at = utcnow()
        await self.listings.audit(listing, owner, "archived")
        if was_approved:
            self.after_commit.enqueue(UNINDEX_LISTING, ListingPayload(listing_id=listing.id))
        return listing

    async def set_availability(
        self, owner: User, listing_id: int, availability: Availability
    ) -> Listing:
        """The seller marks a published listing available, reserved or sold; buyers in a
        conversation about it are told. Not an edit: no moderation, same revision."""
        listing = await owned_listing(self.listings, listing_id, owner)
        if listing.status != ListingStatus.APPROVED:
            raise Conflict(
                f"Only a published listing can be marked {availability}; this one is "
                f"{listing.status}",
                code=ErrorCode.LISTING_NOT_PUBLISHED,
                params={"status": listing.status},
            )
        if listing.availability == availability:
            return listing
        listing.availability = availability
        listing.updated_at = changed_at = utcnow()
        await self.listings.audit(listing, owner, f"marked_{availability}")
        for buyer in await self.listings.buyers_in_conversation(listing.id):
            await self.notify.enqueue(
                availability_changed(listing, buyer, changed_at, self.webapp_url)
            )
        return listing

    async def renew(self, owner: User, listing_id: int) -> Listing:
        """Keep a published (or expired) listing in search for another lifetime."""
        listing = await owned_listing(self.listings, listing_id, owner)
        if listing.status not in RENEWABLE:
            raise Conflict(
                f"Only a published or expired listing can be renewed; this one is {listing.status}",
                code=ErrorCode.LISTING_NOT_RENEWABLE,
                params={"status": listing.status},
            )
        listing.updated_at = now = utcnow()
        listing.expires_at = now + self.lifetime.lifetime
        listing.expiry_reminded_at = None
        if listing.status == ListingStatus.EXPIRED:
            listing.status = ListingStatus.APPROVED
            listing.published_at = now
            self.after_commit.enqueue(INDEX_LISTING, ListingPayload(listing_id=listing.id))
        await self.listings.audit(listing, owner, "renewed")
        return listing

    async def expiry_sweep(self) -> ExpirySweep:
        """Remind sellers whose listings run out soon; take the ones that ran out out of
        search and tell their sellers. Safe to run from several places at once."""
        now = utcnow()
        reminded = 0
        for listing in await self.listings.to_remind(now + self.lifetime.reminder, SWEEP_BATCH):
            if listing.expires_at is not None and listing.expires_at > now:
                listing.expiry_reminded_at = listing.updated_at = now
                owner = await self.listings.user(listing.owner_id)
                await self.notify.enqueue(
                    listing_expiring(listing, owner, self.lifetime.days, self.webapp_url)
                )
                reminded += 1
        expired = 0
        for listing in await self.listings.run_out(now, SWEEP_BATCH):
            listing.status = ListingStatus.EXPIRED
            listing.updated_at = now
            await self.listings.audit(listing, None, "expired")
            owner = await self.listings.user(listing.owner_id)
            await self.notify.enqueue(
                listing_expired(listing, owner, self.lifetime.days, self.webapp_url)
            )
            self.after_commit.enqueue(UNINDEX_LISTING, ListingPayload(listing_id=listing.id))
            expired += 1
        return ExpirySweep(reminded=reminded, expired=expired)

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

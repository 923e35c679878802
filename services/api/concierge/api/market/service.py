"""Market rules: a listing's life (draft → pending → approved | rejected → archived),
the caps, moderation, and who is told what.

Every single-listing lookup goes through ``access`` (another user's draft is a 404).
Notifications are outbox rows in the request's transaction; jobs for the worker
(index or unindex a listing) go to ``after_commit`` and are enqueued once the
transaction committed, so the worker never reads a listing older than the job.

Editing an approved or rejected listing sends it back to pending. A rejected
listing's reason stays on it until the next decision (the owner sees what to fix
while it waits, and the moderator sees what was asked); approval clears it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from concierge.api.identity.models import User
from concierge.api.market.access import owned_listing, visible_listing
from concierge.api.market.models import Listing
from concierge.api.market.notifications import listing_approved, listing_pending, listing_rejected
from concierge.api.market.repository import ListingRepository
from concierge.api.market.schemas import (
    AuditEntry,
    Cursor,
    ListingCreate,
    ListingStatus,
    ListingUpdate,
    keyset_page,
)
from concierge.api.notify.service import NotifyService
from concierge.common.errors import Conflict, Invalid
from concierge.contracts.market import MAX_ACTIVE_LISTINGS
from concierge.db import utcnow

INDEX_JOB = "market.index_listing"
UNINDEX_JOB = "market.unindex_listing"
MODERATED = (ListingStatus.APPROVED, ListingStatus.REJECTED)
CENT = Decimal("0.01")
SUBMITTABLE = (ListingStatus.DRAFT, ListingStatus.REJECTED)
# Characters Postgres cannot store (NUL) or that make no sense in a one-line field.
_CONTROL = {chr(code) for code in range(32)} | {"\x7f"}
_MULTILINE_ALLOWED = {"\n", "\r", "\t"}

AfterCommit = Callable[[str, dict[str, Any]], None]
"""Enqueue a worker job (type, payload) once the request's transaction committed."""


def _field_error(field: str, message: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": message, "type": "value_error"}


def check_text(fields: dict[str, Any]) -> None:
    """Refuse control characters (and explicit nulls) the contract lets through."""
    errors = []
    for name, value in fields.items():
        if value is None:
            errors.append(_field_error(name, "may not be null; leave the field out instead"))
        elif isinstance(value, str):
            allowed = _MULTILINE_ALLOWED if name == "description" else set()
            if any(char in _CONTROL and char not in allowed for char in value):
                errors.append(_field_error(name, "control characters are not allowed"))
    if errors:
        raise Invalid(errors)


def normalised(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields checked, prices to the cent, as the database will store them."""
    check_text(fields)
    if fields.get("price") is not None:
        fields["price"] = Decimal(fields["price"]).quantize(CENT)
    return fields


class ListingService:
    def __init__(
        self,
        listings: ListingRepository,
        notify: NotifyService,
        after_commit: AfterCommit,
        webapp_url: str,
    ) -> None:
        self.listings = listings
        self.session = listings.session
        self.notify = notify
        self.after_commit = after_commit
        self.webapp_url = webapp_url

    # --- the owner's side -------------------------------------------------------------

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
        return await visible_listing(self.session, listing_id, viewer)

    async def mine(
        self, owner: User, status: ListingStatus | None, cursor: str | None, limit: int
    ) -> tuple[Sequence[Listing], str | None]:
        after = Cursor.decode(cursor) if cursor else None
        rows = await self.listings.mine(owner, status, after, limit + 1)
        return keyset_page(rows, limit, lambda listing: Cursor(listing.updated_at, listing.id))

    async def update(self, owner: User, listing_id: int, data: ListingUpdate) -> Listing:
        listing = await owned_listing(self.session, listing_id, owner)
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
        """The owner changed the listing (its fields or photos): a moderated listing
        goes back to moderation, and leaves search until it is approved again."""
        was_approved = listing.status == ListingStatus.APPROVED
        remoderate = listing.status in MODERATED
        listing.updated_at = utcnow()
        if remoderate:
            listing.status = ListingStatus.PENDING
            listing.submitted_at = listing.updated_at
            listing.published_at = None
        await self.listings.audit(listing, owner, "edited")
        if remoderate:
            await self._announce(listing)
        if was_approved:
            self.after_commit(UNINDEX_JOB, {"listing_id": listing.id})

    async def submit(self, owner: User, listing_id: int) -> Listing:
        listing = await owned_listing(self.session, listing_id, owner)
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
        listing = await owned_listing(self.session, listing_id, owner)
        if listing.status == ListingStatus.ARCHIVED:
            raise Conflict("The listing is already archived")
        was_approved = listing.status == ListingStatus.APPROVED
        listing.status = ListingStatus.ARCHIVED
        listing.archived_at = listing.updated_at = utcnow()
        await self.listings.audit(listing, owner, "archived")
        if was_approved:
            self.after_commit(UNINDEX_JOB, {"listing_id": listing.id})
        return listing

    async def _announce(self, listing: Listing) -> None:
        """Tell every admin a listing waits for moderation."""
        assert listing.submitted_at is not None
        for admin in await self.listings.admins():
            await self.notify.enqueue(
                listing_pending(listing, admin, listing.submitted_at, self.webapp_url)
            )

    # --- moderation -------------------------------------------------------------------

    async def queue(self, cursor: str | None, limit: int) -> tuple[Sequence[Listing], str | None]:
        after = Cursor.decode(cursor) if cursor else None
        rows = await self.listings.pending(after, limit + 1)
        return keyset_page(rows, limit, _submitted_cursor)

    async def approve(self, admin: User, listing_id: int) -> Listing:
        listing = await self._pending(admin, listing_id, "approved")
        listing.status = ListingStatus.APPROVED
        listing.published_at = listing.updated_at = utcnow()
        listing.rejection_reason = None
        await self.listings.audit(listing, admin, "approved")
        owner = await self.listings.owner_of(listing)
        await self.notify.enqueue(listing_approved(listing, owner, self.webapp_url))
        self.after_commit(INDEX_JOB, {"listing_id": listing.id})
        return listing

    async def reject(self, admin: User, listing_id: int, reason: str) -> Listing:
        check_text({"reason": reason})
        listing = await self._pending(admin, listing_id, "rejected")
        listing.status = ListingStatus.REJECTED
        listing.rejection_reason = reason
        listing.updated_at = utcnow()
        entry = await self.listings.audit(listing, admin, "rejected", reason)
        owner = await self.listings.owner_of(listing)
        await self.notify.enqueue(listing_rejected(listing, owner, entry.id, self.webapp_url))
        return listing

    async def audit_log(self, admin: User, listing_id: int) -> list[AuditEntry]:
        listing = await visible_listing(self.session, listing_id, admin)
        return [
            AuditEntry(
                id=entry.id,
                listing_id=entry.listing_id,
                actor_telegram_id=telegram_id,
                action=entry.action,
                reason=entry.reason,
                at=entry.at,
            )
            for entry, telegram_id in await self.listings.audit_log(listing)
        ]

    async def _pending(self, admin: User, listing_id: int, outcome: str) -> Listing:
        listing = await visible_listing(self.session, listing_id, admin)
        listing = await self.listings.lock(listing)
        if listing.status != ListingStatus.PENDING:
            raise Conflict(f"Only a pending listing can be {outcome}; this one is {listing.status}")
        return listing


def _submitted_cursor(listing: Listing) -> Cursor:
    assert listing.submitted_at is not None  # every pending listing was submitted
    return Cursor(listing.submitted_at, listing.id)

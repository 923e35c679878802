"""Moderation rules: the queue (oldest first), approval (published, indexed, the owner
told) and rejection (with a reason the owner is told), and the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from concierge.api.after_commit import AfterCommit
from concierge.api.market.access import visible_listing
from concierge.api.market.moderation.repository import ModerationRepository
from concierge.api.market.moderation.schemas import AuditEntry
from concierge.api.market.notifications import listing_approved, listing_rejected
from concierge.api.notify.service import NotifyService
from concierge.api.paging import CursorCodec, Keyset, KeysetPager
from concierge.common.clock import utcnow
from concierge.common.errors import Conflict
from concierge.contracts.jobs import INDEX_LISTING, ListingPayload
from concierge.contracts.market import ListingStatus
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing

QUEUE_SCOPE = "moderation.queue"


class ModerationService:
    def __init__(
        self,
        listings: ModerationRepository,
        notify: NotifyService,
        after_commit: AfterCommit,
        cursors: CursorCodec,
        webapp_url: str,
    ) -> None:
        self.listings = listings
        self.notify = notify
        self.after_commit = after_commit
        self.pager = KeysetPager(cursors, QUEUE_SCOPE)
        self.webapp_url = webapp_url

    async def queue(self, cursor: str | None, limit: int) -> tuple[Sequence[Listing], str | None]:
        rows = await self.listings.pending(self.pager.after(cursor), limit + 1)
        return self.pager.page(rows, limit, _submitted)

    async def approve(self, admin: User, listing_id: int, revision: int) -> Listing:
        listing = await self._pending(admin, listing_id, revision, "approved")
        listing.status = ListingStatus.APPROVED
        listing.published_at = listing.updated_at = utcnow()
        listing.rejection_reason = None
        await self.listings.audit(listing, admin, "approved")
        owner = await self.listings.owner_of(listing)
        await self.notify.enqueue(listing_approved(listing, owner, self.webapp_url))
        self.after_commit.enqueue(INDEX_LISTING, ListingPayload(listing_id=listing.id))
        return listing

    async def reject(self, admin: User, listing_id: int, revision: int, reason: str) -> Listing:
        listing = await self._pending(admin, listing_id, revision, "rejected")
        listing.status = ListingStatus.REJECTED
        listing.rejection_reason = reason
        listing.updated_at = utcnow()
        entry = await self.listings.audit(listing, admin, "rejected", reason)
        owner = await self.listings.owner_of(listing)
        await self.notify.enqueue(listing_rejected(listing, owner, entry.id, self.webapp_url))
        return listing

    async def audit_log(self, admin: User, listing_id: int) -> list[AuditEntry]:
        listing = await visible_listing(self.listings, listing_id, admin)
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

    async def _pending(self, admin: User, listing_id: int, revision: int, outcome: str) -> Listing:
        """The pending listing at the revision the admin reviewed, locked for the decision."""
        listing = await visible_listing(self.listings, listing_id, admin)
        listing = await self.listings.lock(listing)
        if listing.status != ListingStatus.PENDING:
            raise Conflict(f"Only a pending listing can be {outcome}; this one is {listing.status}")
        if listing.revision != revision:
            raise Conflict(
                f"The owner changed the listing since you opened it (revision {revision}, "
                f"now {listing.revision}): review it again"
            )
        return listing


def _submitted(listing: Listing) -> Keyset:
    assert listing.submitted_at is not None  # every pending listing was submitted
    return Keyset(listing.submitted_at, listing.id)

"""Moderation rules: the queue (oldest first), approval (published for a lifetime,
indexed, the owner told) and rejection (with a reason the owner is told) of a pending
listing, taking down a published one (a rejection too: out of search, its open reports
upheld), what waits for the admins, and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from concierge.api.after_commit import AfterCommit
from concierge.api.market.access import visible_listing
from concierge.api.market.moderation.repository import ModerationRepository
from concierge.api.market.moderation.schemas import AuditEntry, ModerationSummary
from concierge.api.market.notifications import listing_approved, listing_rejected
from concierge.api.market.reports.repository import ReportRepository
from concierge.api.notify.service import NotifyService
from concierge.api.paging import CursorCodec, Keyset, KeysetPager
from concierge.common.clock import utcnow
from concierge.common.errors import Conflict
from concierge.contracts.errors import ErrorCode
from concierge.contracts.jobs import INDEX_LISTING, UNINDEX_LISTING, ListingPayload
from concierge.contracts.market import ListingStatus
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing, ReportStatus

QUEUE_SCOPE = "moderation.queue"


class ModerationService:
    def __init__(
        self,
        listings: ModerationRepository,
        reports: ReportRepository,
        notify: NotifyService,
        after_commit: AfterCommit,
        cursors: CursorCodec,
        webapp_url: str,
        lifetime: timedelta,
    ) -> None:
        self.listings = listings
        self.reports = reports
        self.notify = notify
        self.after_commit = after_commit
        self.pager = KeysetPager(cursors, QUEUE_SCOPE)
        self.webapp_url = webapp_url
        self.lifetime = lifetime

    async def summary(self) -> ModerationSummary:
        return ModerationSummary(
            pending=await self.listings.count_pending(),
            reported=await self.reports.count_reported(),
        )

    async def queue(self, cursor: str | None, limit: int) -> tuple[Sequence[Listing], str | None]:
        rows = await self.listings.pending(self.pager.after(cursor), limit + 1)
        return self.pager.page(rows, limit, _submitted)

    async def approve(self, admin: User, listing_id: int, revision: int) -> Listing:
        listing = await self._decidable(admin, listing_id, revision, "approved")
        listing.status = ListingStatus.APPROVED
        listing.published_at = listing.updated_at = utcnow()
        listing.expires_at = listing.published_at + self.lifetime
        listing.expiry_reminded_at = None
        listing.rejection_reason = None
        await self.listings.audit(listing, admin, "approved")
        owner = await self.listings.owner_of(listing)
        await self.notify.enqueue(listing_approved(listing, owner, self.webapp_url))
        self.after_commit.enqueue(INDEX_LISTING, ListingPayload(listing_id=listing.id))
        return listing

    async def reject(self, admin: User, listing_id: int, revision: int, reason: str) -> Listing:
        """Refuse a pending listing, or take down a published one (reported, say): out of
        search, and its open reports upheld."""
        listing = await self._decidable(
            admin, listing_id, revision, "rejected", also=ListingStatus.APPROVED
        )
        if listing.status == ListingStatus.APPROVED:
            self.after_commit.enqueue(UNINDEX_LISTING, ListingPayload(listing_id=listing.id))
            listing.published_at = listing.expires_at = listing.expiry_reminded_at = None
        listing.status = ListingStatus.REJECTED
        listing.rejection_reason = reason
        listing.updated_at = utcnow()
        await self.reports.resolve(listing.id, admin, ReportStatus.UPHELD)
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

    async def _decidable(
        self,
        admin: User,
        listing_id: int,
        revision: int,
        outcome: str,
        also: ListingStatus | None = None,
    ) -> Listing:
        """The pending (or ``also``) listing at the revision the admin reviewed, locked
        for the decision."""
        listing = await visible_listing(self.listings, listing_id, admin)
        listing = await self.listings.lock(listing)
        if listing.status not in (ListingStatus.PENDING, also):
            raise Conflict(
                f"Only a pending listing can be {outcome}; this one is {listing.status}",
                code=ErrorCode.LISTING_NOT_PENDING,
                params={"status": listing.status},
            )
        if listing.revision != revision:
            raise Conflict(
                f"The owner changed the listing since you opened it (revision {revision}, "
                f"now {listing.revision}): review it again",
                code=ErrorCode.LISTING_CHANGED,
                params={"revision": revision, "current": listing.revision},
            )
        return listing


def _submitted(listing: Listing) -> Keyset:
    assert listing.submitted_at is not None  # every pending listing was submitted
    return Keyset(listing.submitted_at, listing.id)

"""Moderation's queries on listings: the queue, the lock for a decision, the owner to
tell, and the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, tuple_

from concierge.api.market.listings.repository import ListingRepository
from concierge.api.paging import Keyset
from concierge.contracts.market import ListingStatus
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing, ListingAudit


class ModerationRepository(ListingRepository):
    async def lock(self, listing: Listing) -> Listing:
        """Re-read the listing locked for a change (a moderator's decision)."""
        locked = await self.session.scalar(
            select(Listing)
            .where(Listing.id == listing.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert locked is not None  # the caller just read it in this transaction
        return locked

    async def pending(self, after: Keyset | None, limit: int) -> Sequence[Listing]:
        """The moderation queue: pending listings, the longest waiting first."""
        query = select(Listing).where(Listing.status == ListingStatus.PENDING)
        if after is not None:
            query = query.where(tuple_(Listing.submitted_at, Listing.id) > (after.at, after.id))
        query = query.order_by(Listing.submitted_at, Listing.id).limit(limit)
        return (await self.session.scalars(query)).all()

    async def count_pending(self) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Listing).where(Listing.status == ListingStatus.PENDING)
        )
        return count or 0

    async def owner_of(self, listing: Listing) -> User:
        owner = await self.session.get(User, listing.owner_id)
        assert owner is not None  # owner_id is a foreign key
        return owner

    async def audit_log(self, listing: Listing) -> Sequence[tuple[ListingAudit, int | None]]:
        """The listing's audit entries, oldest first, each with its actor's Telegram id
        (None for the system's)."""
        rows = await self.session.execute(
            select(ListingAudit, User.telegram_id)
            .outerjoin(User, User.id == ListingAudit.actor_id)
            .where(ListingAudit.listing_id == listing.id)
            .order_by(ListingAudit.id)
        )
        return [(entry, telegram_id) for entry, telegram_id in rows]

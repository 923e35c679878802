"""Every query on listings: lookups (locked for a change), the owner's pages, browsing,
the active-listing cap, audit entries and who to tell about a listing. Moderation's own
queries extend it (``market.moderation.repository``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, tuple_

from concierge.api.paging import Keyset
from concierge.api.search.schemas import ListingFilterParams
from concierge.common.clock import utcnow
from concierge.contracts.identity import UserRole
from concierge.contracts.market import ListingStatus
from concierge.db.repository import Repository
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing, ListingAudit

ACTIVE = (
    ListingStatus.DRAFT,
    ListingStatus.PENDING,
    ListingStatus.APPROVED,
    ListingStatus.REJECTED,
)


class ListingRepository(Repository[Listing]):
    model = Listing

    async def owned(self, listing_id: int, owner_id: int) -> Listing | None:
        """The owner's listing, locked for a change."""
        query = (
            select(Listing)
            .where(Listing.id == listing_id, Listing.owner_id == owner_id)
            .with_for_update()
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def count_active(self, owner: User) -> int:
        """The owner's listings that count against the cap, counted under a lock on the
        owner's row, so two creates at once cannot both take the last place."""
        await self.session.execute(select(User.id).where(User.id == owner.id).with_for_update())
        count = await self.session.scalar(
            select(func.count())
            .select_from(Listing)
            .where(Listing.owner_id == owner.id, Listing.status.in_(ACTIVE))
        )
        return count or 0

    async def mine(
        self, owner: User, status: ListingStatus | None, after: Keyset | None, limit: int
    ) -> Sequence[Listing]:
        """The owner's listings, most recently changed first."""
        query = select(Listing).where(Listing.owner_id == owner.id)
        if status is not None:
            query = query.where(Listing.status == status)
        if after is not None:
            query = query.where(tuple_(Listing.updated_at, Listing.id) < (after.at, after.id))
        query = query.order_by(Listing.updated_at.desc(), Listing.id.desc()).limit(limit)
        return (await self.session.scalars(query)).all()

    async def newest(
        self, filters: ListingFilterParams, after: Keyset | None, limit: int
    ) -> Sequence[Listing]:
        """Approved listings with the filters, the most recently published first."""
        query = select(Listing).where(
            Listing.status == ListingStatus.APPROVED, Listing.published_at.is_not(None)
        )
        if filters.category is not None:
            query = query.where(Listing.category == filters.category)
        if filters.city is not None:
            query = query.where(func.lower(Listing.city) == filters.city.lower())
        if filters.price_min is not None:
            query = query.where(Listing.price >= filters.price_min)
        if filters.price_max is not None:
            query = query.where(Listing.price <= filters.price_max)
        if filters.currency is not None:
            query = query.where(Listing.currency == filters.currency)
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

    async def admins(self) -> Sequence[User]:
        """Who hears about new pending listings: admins who have not blocked the bot."""
        rows = await self.session.scalars(
            select(User)
            .where(User.role == UserRole.ADMIN, User.blocked_at.is_(None))
            .order_by(User.id)
        )
        return rows.all()

    async def audit(
        self, listing: Listing, actor: User, action: str, reason: str | None = None
    ) -> ListingAudit:
        entry = ListingAudit(
            listing_id=listing.id, actor_id=actor.id, action=action, reason=reason, at=utcnow()
        )
        self.session.add(entry)
        await self.session.flush()
        return entry

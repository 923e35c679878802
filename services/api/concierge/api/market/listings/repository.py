"""Every query on listings: lookups (locked for a change), the owner's pages, browsing,
the active-listing cap, audit entries, who to tell about a listing, views and the
seller's figures, and the listings whose time runs out. Moderation's own queries extend
it (``market.moderation.repository``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from concierge.api.identity.repository import UserRepository
from concierge.api.paging import Keyset
from concierge.api.search.schemas import ListingFilterParams
from concierge.common.clock import utcnow
from concierge.contracts.market import InquiryStatus, ListingStatus
from concierge.db.repository import Repository
from concierge.domain.identity.models import User
from concierge.domain.market.models import Inquiry, Listing, ListingAudit, ListingView

ACTIVE = (
    ListingStatus.DRAFT,
    ListingStatus.PENDING,
    ListingStatus.APPROVED,
    ListingStatus.REJECTED,
    ListingStatus.EXPIRED,  # renewing publishes it again
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
        return await UserRepository(self.session).reachable_admins()

    async def user(self, user_id: int) -> User:
        user = await self.session.get(User, user_id)
        assert user is not None  # every caller holds a foreign key to it
        return user

    async def users(self, ids: Sequence[int]) -> dict[int, User]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(User).where(User.id.in_(list(ids))))
        return {user.id: user for user in rows}

    async def last_currency(self, owner_id: int) -> str | None:
        """The currency of the owner's most recently created listing."""
        return await self.session.scalar(
            select(Listing.currency)
            .where(Listing.owner_id == owner_id)
            .order_by(Listing.created_at.desc(), Listing.id.desc())
            .limit(1)
        )

    async def record_view(self, listing_id: int, viewer_id: int) -> None:
        """Count the viewer once per listing."""
        await self.session.execute(
            insert(ListingView)
            .values(listing_id=listing_id, viewer_id=viewer_id)
            .on_conflict_do_nothing()
        )

    async def stats(self, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """Each listing's (people who viewed it, buyers who wrote about it)."""
        if not ids:
            return {}
        views: dict[int, int] = {
            listing_id: count
            for listing_id, count in await self.session.execute(
                select(ListingView.listing_id, func.count())
                .where(ListingView.listing_id.in_(list(ids)))
                .group_by(ListingView.listing_id)
            )
        }
        contacts: dict[int, int] = {
            listing_id: count
            for listing_id, count in await self.session.execute(
                select(Inquiry.listing_id, func.count())
                .where(Inquiry.listing_id.in_(list(ids)))
                .group_by(Inquiry.listing_id)
            )
        }
        return {id_: (views.get(id_, 0), contacts.get(id_, 0)) for id_ in ids}

    async def buyers_in_conversation(self, listing_id: int) -> Sequence[User]:
        """Buyers with an open conversation about the listing."""
        rows = await self.session.scalars(
            select(User)
            .join(Inquiry, Inquiry.buyer_id == User.id)
            .where(Inquiry.listing_id == listing_id, Inquiry.status == InquiryStatus.OPEN)
            .order_by(Inquiry.id)
        )
        return rows.all()

    async def to_remind(self, before: datetime, limit: int) -> Sequence[Listing]:
        """Published listings running out before ``before`` whose seller was not reminded
        yet, locked (others sweeping at once skip them)."""
        return await self._sweep(
            (Listing.expires_at <= before) & Listing.expiry_reminded_at.is_(None), limit
        )

    async def run_out(self, now: datetime, limit: int) -> Sequence[Listing]:
        """Published listings whose time ran out, locked."""
        return await self._sweep(Listing.expires_at <= now, limit)

    async def _sweep(self, condition: ColumnElement[bool], limit: int) -> Sequence[Listing]:
        query = (
            select(Listing)
            .where(Listing.status == ListingStatus.APPROVED, condition)
            .order_by(Listing.expires_at, Listing.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(query)).all()

    async def audit(
        self, listing: Listing, actor: User | None, action: str, reason: str | None = None
    ) -> ListingAudit:
        """Record who (None: the system, e.g. expiry) did what to the listing."""
        entry = ListingAudit(
            listing_id=listing.id,
            actor_id=actor.id if actor else None,
            action=action,
            reason=reason,
            at=utcnow(),
        )
        self.session.add(entry)
        await self.session.flush()
        return entry

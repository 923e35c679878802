"""Every query of the market desk's listings: the owner's pages, the moderation queue,
the active-listing cap, the audit log and who to tell about a listing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, tuple_

from concierge.api.identity.models import User
from concierge.api.market.models import Listing, ListingAudit
from concierge.api.market.schemas import Cursor
from concierge.contracts.identity import UserRole
from concierge.contracts.market import ListingStatus
from concierge.db import utcnow
from concierge.db.repository import Repository

ACTIVE = (
    ListingStatus.DRAFT,
    ListingStatus.PENDING,
    ListingStatus.APPROVED,
    ListingStatus.REJECTED,
)


class ListingRepository(Repository[Listing]):
    model = Listing

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

    async def mine(
        self, owner: User, status: ListingStatus | None, after: Cursor | None, limit: int
    ) -> Sequence[Listing]:
        """The owner's listings, most recently changed first."""
        query = select(Listing).where(Listing.owner_id == owner.id)
        if status is not None:
            query = query.where(Listing.status == status)
        if after is not None:
            query = query.where(tuple_(Listing.updated_at, Listing.id) < (after.at, after.id))
        query = query.order_by(Listing.updated_at.desc(), Listing.id.desc()).limit(limit)
        return (await self.session.scalars(query)).all()

    async def pending(self, after: Cursor | None, limit: int) -> Sequence[Listing]:
        """The moderation queue: pending listings, the longest waiting first."""
        query = select(Listing).where(Listing.status == ListingStatus.PENDING)
        if after is not None:
            query = query.where(tuple_(Listing.submitted_at, Listing.id) > (after.at, after.id))
        query = query.order_by(Listing.submitted_at, Listing.id).limit(limit)
        return (await self.session.scalars(query)).all()

    async def owner_of(self, listing: Listing) -> User:
        owner = await self.session.get(User, listing.owner_id)
        assert owner is not None  # owner_id is a foreign key
        return owner

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

    async def audit_log(self, listing: Listing) -> Sequence[tuple[ListingAudit, int]]:
        """The listing's audit entries, oldest first, each with its actor's Telegram id."""
        rows = await self.session.execute(
            select(ListingAudit, User.telegram_id)
            .join(User, User.id == ListingAudit.actor_id)
            .where(ListingAudit.listing_id == listing.id)
            .order_by(ListingAudit.id)
        )
        return [(entry, telegram_id) for entry, telegram_id in rows]

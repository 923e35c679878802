"""Listings as a given caller sees them (ListingRead), photos included in one query.

Shared by every market endpoint that returns listings, browsing and search included.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.identity.models import User
from concierge.api.market.models import Listing
from concierge.api.market.photos import photo_reads
from concierge.contracts.identity import UserRole
from concierge.contracts.market import Category, Currency, ListingRead, ListingStatus


def _sees_moderation(listing: Listing, viewer: User) -> bool:
    """The moderator's reason is for the owner and the admins, not for buyers."""
    return listing.owner_id == viewer.id or viewer.role == UserRole.ADMIN


async def listing_reads(
    session: AsyncSession, listings: Sequence[Listing], viewer: User
) -> list[ListingRead]:
    """Each listing as ``viewer`` sees it, in the order given."""
    photos = await photo_reads(session, [listing.id for listing in listings])
    return [
        ListingRead(
            id=listing.id,
            title=listing.title,
            description=listing.description,
            category=Category(listing.category),
            price=Decimal(listing.price),
            currency=Currency(listing.currency),
            city=listing.city,
            status=ListingStatus(listing.status),
            rejection_reason=(
                listing.rejection_reason if _sees_moderation(listing, viewer) else None
            ),
            photos=photos.get(listing.id, []),
            created_at=listing.created_at,
            updated_at=listing.updated_at,
            published_at=listing.published_at,
            is_mine=listing.owner_id == viewer.id,
        )
        for listing in listings
    ]


async def listing_read(session: AsyncSession, listing: Listing, viewer: User) -> ListingRead:
    (read,) = await listing_reads(session, [listing], viewer)
    return read

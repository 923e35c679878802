"""Listings as a given caller sees them (ListingRead), photos included in one query.

Shared by every market endpoint that returns listings, browsing and search included
(``ListingReaderDep``): the session to read photos in, the storage to sign their URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.identity.models import User
from concierge.api.market.models import Listing
from concierge.api.market.photos import photo_reads
from concierge.api.market.storage import Storage, StorageDep
from concierge.contracts.identity import UserRole
from concierge.contracts.market import Category, Currency, ListingRead, ListingStatus, PhotoRead
from concierge.db import SessionDep


def _sees_moderation(listing: Listing, viewer: User) -> bool:
    """The moderator's reason is for the owner and the admins, not for buyers."""
    return listing.owner_id == viewer.id or viewer.role == UserRole.ADMIN


class ListingReader:
    def __init__(self, session: AsyncSession, storage: Storage) -> None:
        self.session = session
        self.storage = storage

    async def many(self, listings: Sequence[Listing], viewer: User) -> list[ListingRead]:
        """Each listing as ``viewer`` sees it, in the order given."""
        ids = [listing.id for listing in listings]
        photos = await photo_reads(self.session, ids, self.storage)
        return [_read(listing, viewer, photos.get(listing.id, [])) for listing in listings]

    async def one(self, listing: Listing, viewer: User) -> ListingRead:
        (read,) = await self.many([listing], viewer)
        return read


def _read(listing: Listing, viewer: User, photos: list[PhotoRead]) -> ListingRead:
    return ListingRead(
        id=listing.id,
        title=listing.title,
        description=listing.description,
        category=Category(listing.category),
        price=Decimal(listing.price),
        currency=Currency(listing.currency),
        city=listing.city,
        status=ListingStatus(listing.status),
        rejection_reason=listing.rejection_reason if _sees_moderation(listing, viewer) else None,
        photos=photos,
        created_at=listing.created_at,
        updated_at=listing.updated_at,
        published_at=listing.published_at,
        is_mine=listing.owner_id == viewer.id,
    )


def get_listing_reader(session: SessionDep, storage: StorageDep) -> ListingReader:
    return ListingReader(session, storage)


ListingReaderDep = Annotated[ListingReader, Depends(get_listing_reader)]

"""Listings as a given caller sees them (ListingRead), photos included in one query.

Shared by every market endpoint that returns listings, browsing and search included
(``ListingReaderDep``): the photo rows to read, the storage to sign their URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

from fastapi import Depends

from concierge.api.market.photos.deps import StorageDep
from concierge.api.market.photos.repository import PhotoRepository
from concierge.api.market.photos.service import photo_read
from concierge.contracts.identity import UserRole
from concierge.contracts.market import Category, Currency, ListingRead, ListingStatus, PhotoRead
from concierge.db import SessionDep
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing
from concierge.storage.backends import Storage


def _sees_moderation(listing: Listing, viewer: User) -> bool:
    """The moderator's reason is for the owner and the admins, not for buyers."""
    return listing.owner_id == viewer.id or viewer.role == UserRole.ADMIN


class ListingReader:
    def __init__(self, photos: PhotoRepository, storage: Storage) -> None:
        self.photos = photos
        self.storage = storage

    async def many(self, listings: Sequence[Listing], viewer: User) -> list[ListingRead]:
        """Each listing as ``viewer`` sees it, in the order given."""
        photos: dict[int, list[PhotoRead]] = {listing.id: [] for listing in listings}
        if photos:
            for photo in await self.photos.of_listings(list(photos)):
                photos[photo.listing_id].append(photo_read(photo, self.storage))
        return [_read(listing, viewer, photos[listing.id]) for listing in listings]

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
        revision=listing.revision,
        rejection_reason=listing.rejection_reason if _sees_moderation(listing, viewer) else None,
        photos=photos,
        created_at=listing.created_at,
        updated_at=listing.updated_at,
        published_at=listing.published_at,
        is_mine=listing.owner_id == viewer.id,
    )


def get_listing_reader(session: SessionDep, storage: StorageDep) -> ListingReader:
    return ListingReader(PhotoRepository(session), storage)


ListingReaderDep = Annotated[ListingReader, Depends(get_listing_reader)]

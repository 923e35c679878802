"""Listings as a given caller sees them (ListingRead): photos, the seller's figures
(for the seller and admins) and the seller's t.me link (for others, when allowed), each
read in one query for a whole page.

Shared by every market endpoint that returns listings, browsing and search included
(``ListingReaderDep``): the rows to read, the storage to sign photo URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

from fastapi import Depends

from concierge.api.market.listings.repository import ListingRepository
from concierge.api.market.photos.deps import StorageDep
from concierge.api.market.photos.repository import PhotoRepository
from concierge.api.market.photos.service import photo_read
from concierge.contracts.identity import UserRole
from concierge.contracts.market import (
    Availability,
    Category,
    Currency,
    ListingRead,
    ListingStats,
    ListingStatus,
    PhotoRead,
)
from concierge.db import SessionDep
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing
from concierge.storage.backends import Storage


def _sees_moderation(listing: Listing, viewer: User) -> bool:
    """The moderator's reason and the figures are for the owner and the admins."""
    return listing.owner_id == viewer.id or viewer.role == UserRole.ADMIN


def seller_link(listing: Listing, seller: User | None, viewer: User) -> str | None:
    """The seller's t.me link for someone else, when the seller allows it and has a
    username (without one there is nothing to link to)."""
    if listing.owner_id == viewer.id or not listing.allow_direct_contact:
        return None
    return f"https://t.me/{seller.username}" if seller and seller.username else None


class ListingReader:
    def __init__(
        self, photos: PhotoRepository, listings: ListingRepository, storage: Storage
    ) -> None:
        self.photos = photos
        self.listings = listings
        self.storage = storage

    async def many(self, listings: Sequence[Listing], viewer: User) -> list[ListingRead]:
        """Each listing as ``viewer`` sees it, in the order given."""
        photos: dict[int, list[PhotoRead]] = {listing.id: [] for listing in listings}
        if photos:
            for photo in await self.photos.of_listings(list(photos)):
                photos[photo.listing_id].append(photo_read(photo, self.storage))
        private = [listing.id for listing in listings if _sees_moderation(listing, viewer)]
        stats = await self.listings.stats(private)
        linked = {listing.owner_id for listing in listings if listing.allow_direct_contact}
        sellers = await self.listings.users(sorted(linked))
        return [
            _read(
                listing,
                viewer,
                photos[listing.id],
                ListingStats(views=stats[listing.id][0], contacts=stats[listing.id][1])
                if listing.id in stats
                else None,
                seller_link(listing, sellers.get(listing.owner_id), viewer),
            )
            for listing in listings
        ]

    async def one(self, listing: Listing, viewer: User) -> ListingRead:
        (read,) = await self.many([listing], viewer)
        return read


def _read(
    listing: Listing,
    viewer: User,
    photos: list[PhotoRead],
    stats: ListingStats | None,
    link: str | None,
) -> ListingRead:
    return ListingRead(
        id=listing.id,
        title=listing.title,
        description=listing.description,
        category=Category(listing.category),
        price=Decimal(listing.price),
        currency=Currency(listing.currency),
        city=listing.city,
        status=ListingStatus(listing.status),
        availability=Availability(listing.availability),
        revision=listing.revision,
        rejection_reason=listing.rejection_reason if _sees_moderation(listing, viewer) else None,
        photos=photos,
        created_at=listing.created_at,
        updated_at=listing.updated_at,
        published_at=listing.published_at,
        expires_at=listing.expires_at,
        is_mine=listing.owner_id == viewer.id,
        allow_direct_contact=listing.allow_direct_contact,
        seller_link=link,
        stats=stats,
    )


def get_listing_reader(session: SessionDep, storage: StorageDep) -> ListingReader:
    return ListingReader(PhotoRepository(session), ListingRepository(session), storage)


ListingReaderDep = Annotated[ListingReader, Depends(get_listing_reader)]

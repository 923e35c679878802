"""Who may see or change a listing. Every single-listing lookup of the desk goes through
here.

A caller sees their own listings in any status, everybody's approved ones, and admins
see all; anything else is 404 (never 403: another user's draft does not exist for
you). Only the owner changes a listing; the row is locked for the change.
"""

from __future__ import annotations

from concierge.api.market.listings.repository import ListingRepository
from concierge.common.errors import NotFound
from concierge.contracts.errors import ErrorCode
from concierge.contracts.identity import UserRole
from concierge.contracts.market import ListingStatus
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing


def _not_found(listing_id: int) -> NotFound:
    return NotFound(f"Listing {listing_id} does not exist", code=ErrorCode.LISTING_NOT_FOUND)


def may_see(listing: Listing, viewer: User) -> bool:
    return (
        listing.owner_id == viewer.id
        or listing.status == ListingStatus.APPROVED
        or viewer.role == UserRole.ADMIN
    )


async def visible_listing(listings: ListingRepository, listing_id: int, viewer: User) -> Listing:
    """The listing if the caller may see it; NotFound otherwise."""
    listing = await listings.get(listing_id)
    if listing is None or not may_see(listing, viewer):
        raise _not_found(listing_id)
    return listing


async def owned_listing(listings: ListingRepository, listing_id: int, owner: User) -> Listing:
    """The caller's own listing, locked for a change; NotFound for anyone else's."""
    listing = await listings.owned(listing_id, owner.id)
    if listing is None:
        raise _not_found(listing_id)
    return listing

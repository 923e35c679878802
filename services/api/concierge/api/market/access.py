"""Who may see or change a listing. Every listing query in the desk goes through here.

A caller sees their own listings in any status, everybody's approved ones, and admins
see all; anything else is 404 (never 403: another user's draft does not exist for
you). Only the owner changes a listing; the row is locked for the change.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.identity.models import User
from concierge.api.market.models import Listing
from concierge.common.errors import NotFound
from concierge.contracts.identity import UserRole
from concierge.contracts.market import ListingStatus

MAX_LISTING_ID = 2**63 - 1


def _not_found(listing_id: int) -> NotFound:
    return NotFound(f"Listing {listing_id} does not exist")


async def visible_listing(session: AsyncSession, listing_id: int, user: User) -> Listing:
    """The listing if the caller may see it; NotFound otherwise."""
    listing = await session.get(Listing, listing_id) if 0 < listing_id <= MAX_LISTING_ID else None
    if listing is None:
        raise _not_found(listing_id)
    visible = (
        listing.owner_id == user.id
        or listing.status == ListingStatus.APPROVED
        or user.role == UserRole.ADMIN
    )
    if not visible:
        raise _not_found(listing_id)
    return listing


async def owned_listing(session: AsyncSession, listing_id: int, user: User) -> Listing:
    """The caller's own listing, locked for a change; NotFound for anyone else's."""
    if not 0 < listing_id <= MAX_LISTING_ID:
        raise _not_found(listing_id)
    query = (
        select(Listing)
        .where(Listing.id == listing_id, Listing.owner_id == user.id)
        .with_for_update()
    )
    listing = (await session.execute(query)).scalar_one_or_none()
    if listing is None:
        raise _not_found(listing_id)
    return listing

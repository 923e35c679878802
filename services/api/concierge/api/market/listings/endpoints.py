"""The Mini App's listing routes (``/api/v1/listings``): a seller's own listings (with
their availability and renewal), and browsing and searching everybody's approved ones;
the bot calls them too, for the user it acts for. And the expiry sweep the worker asks
for (service token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from concierge.api.identity.deps import WebUser
from concierge.api.market.listings.deps import BrowseServiceDep, ListingServiceDep
from concierge.api.market.listings.schemas import (
    AvailabilityChange,
    BrowseParams,
    Category,
    CityParam,
    CurrencySuggestion,
    ExpirySweep,
    ListingCreate,
    ListingId,
    ListingPage,
    ListingRead,
    ListingStatus,
    ListingUpdate,
    PageLimit,
)
from concierge.api.market.reads import ListingReaderDep
from concierge.api.paging import PageCursor
from concierge.common.auth import require_service_token
from concierge.common.openapi import raises

router = APIRouter(prefix="/listings", tags=["market"])
service_router = APIRouter(
    prefix="/market", tags=["market"], dependencies=[Depends(require_service_token)]
)


@router.get("/categories", response_model=list[Category])
async def categories(_: WebUser) -> list[Category]:
    """Every category a listing may have."""
    return list(Category)


@router.get("/suggested-currency", response_model=CurrencySuggestion)
async def suggested_currency(
    user: WebUser, listings: ListingServiceDep, city: CityParam = None
) -> CurrencySuggestion:
    """The currency a new listing of the caller's gets when they name none: the city's
    (Berlin: EUR), else that of their last listing, else their language's."""
    return CurrencySuggestion(currency=await listings.suggested_currency(user, city))


@router.get("", response_model=ListingPage)
async def browse_listings(
    params: Annotated[BrowseParams, Query()],
    user: WebUser,
    browse: BrowseServiceDep,
    reads: ListingReaderDep,
) -> ListingPage:
    """Approved listings. Without ``q`` the newest first; with ``q`` the best matches
    (full text and meaning). Filters: ``category``, ``city`` (exact, any case),
    ``price_min``/``price_max``, ``currency``. Pass ``next_cursor`` back as ``cursor``."""
    rows, next_cursor = await browse.page(params)
    return ListingPage(items=await reads.many(rows, user), next_cursor=next_cursor)


@router.post("", response_model=ListingRead, status_code=status.HTTP_201_CREATED)
@raises(409)
async def create_listing(
    data: ListingCreate, user: WebUser, listings: ListingServiceDep, reads: ListingReaderDep
) -> ListingRead:
    """A new draft of the caller's (at most 50 active listings)."""
    return await reads.one(await listings.create(user, data), user)


@router.get("/mine", response_model=ListingPage)
async def my_listings(
    user: WebUser,
    listings: ListingServiceDep,
    reads: ListingReaderDep,
    status: ListingStatus | None = None,
    cursor: PageCursor = None,
    limit: PageLimit = 20,
) -> ListingPage:
    """The caller's listings, most recently changed first, optionally of one status."""
    rows, next_cursor = await listings.mine(user, status, cursor, limit)
    return ListingPage(items=await reads.many(rows, user), next_cursor=next_cursor)


@router.get("/{listing_id}", response_model=ListingRead)
@raises(404)
async def get_listing(
    listing_id: ListingId, user: WebUser, listings: ListingServiceDep, reads: ListingReaderDep
) -> ListingRead:
    """The caller's own listing, or anybody's approved one (admins see all). Someone
    other than the seller opening a published listing counts as one view."""
    return await reads.one(await listings.open(user, listing_id), user)


@router.patch("/{listing_id}", response_model=ListingRead)
@raises(404, 409)
async def update_listing(
    listing_id: ListingId,
    data: ListingUpdate,
    user: WebUser,
    listings: ListingServiceDep,
    reads: ListingReaderDep,
) -> ListingRead:
    """Change the fields sent; an approved or rejected listing goes back to moderation."""
    return await reads.one(await listings.update(user, listing_id, data), user)


@router.post("/{listing_id}/submit", response_model=ListingRead)
@raises(404, 409)
async def submit_listing(
    listing_id: ListingId, user: WebUser, listings: ListingServiceDep, reads: ListingReaderDep
) -> ListingRead:
    """Send a draft (or a rejected listing) to moderation."""
    return await reads.one(await listings.submit(user, listing_id), user)


@router.post("/{listing_id}/archive", response_model=ListingRead)
@raises(404, 409)
async def archive_listing(
    listing_id: ListingId, user: WebUser, listings: ListingServiceDep, reads: ListingReaderDep
) -> ListingRead:
    """Take the listing down for good (it no longer counts against the cap)."""
    return await reads.one(await listings.archive(user, listing_id), user)


@router.post("/{listing_id}/availability", response_model=ListingRead)
@raises(404, 409)
async def set_availability(
    listing_id: ListingId,
    change: AvailabilityChange,
    user: WebUser,
    listings: ListingServiceDep,
    reads: ListingReaderDep,
) -> ListingRead:
    """Mark a published listing of the caller's available, reserved or sold (no
    moderation); buyers in a conversation about it are told."""
    listing = await listings.set_availability(user, listing_id, change.availability)
    return await reads.one(listing, user)


@router.post("/{listing_id}/renew", response_model=ListingRead)
@raises(404, 409)
async def renew_listing(
    listing_id: ListingId, user: WebUser, listings: ListingServiceDep, reads: ListingReaderDep
) -> ListingRead:
    """Keep a published listing (or publish an expired one again) for another lifetime."""
    return await reads.one(await listings.renew(user, listing_id), user)


@service_router.post("/expiry-sweep", response_model=ExpirySweep)
async def expiry_sweep(listings: ListingServiceDep) -> ExpirySweep:
    """Remind sellers of listings that run out soon, and take those that ran out out of
    search (the worker calls it every few minutes; running it twice changes nothing)."""
    return await listings.expiry_sweep()

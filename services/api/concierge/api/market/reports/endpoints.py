"""Report routes: a buyer reports a listing; admins see the reported ones and dismiss
the reports (taking a listing down is a rejection: ``market.moderation``)."""

from __future__ import annotations

from fastapi import APIRouter, status

from concierge.api.identity.deps import WebAdmin, WebUser
from concierge.api.market.listings.schemas import ListingId, PageLimit
from concierge.api.market.reads import ListingReaderDep
from concierge.api.market.reports.deps import ReportServiceDep
from concierge.api.market.reports.schemas import (
    ReportCreate,
    ReportedListing,
    ReportedPage,
    ReportRead,
    ReportsResolved,
)
from concierge.api.paging import PageCursor
from concierge.common.openapi import raises

router = APIRouter(tags=["market"])


@router.post(
    "/listings/{listing_id}/reports", response_model=ReportRead, status_code=status.HTTP_201_CREATED
)
@raises(404, 409)
async def report_listing(
    listing_id: ListingId, data: ReportCreate, user: WebUser, reports: ReportServiceDep
) -> ReportRead:
    """Tell the moderators what is wrong with a published listing (once per listing)."""
    return await reports.report(user, listing_id, data)


@router.get("/admin/moderation/reports", response_model=ReportedPage, tags=["market moderation"])
async def reported_listings(
    admin: WebAdmin,
    reports: ReportServiceDep,
    reads: ListingReaderDep,
    cursor: PageCursor = None,
    limit: PageLimit = 20,
) -> ReportedPage:
    """Published listings with open reports, the longest reported first, with them."""
    rows, next_cursor = await reports.reported(cursor, limit)
    listings = await reads.many([listing for listing, _ in rows], admin)
    return ReportedPage(
        items=[
            ReportedListing(listing=read, reports=found)
            for read, (_, found) in zip(listings, rows, strict=True)
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/admin/listings/{listing_id}/reports/dismiss",
    response_model=ReportsResolved,
    tags=["market moderation"],
)
@raises(404)
async def dismiss_reports(
    listing_id: ListingId, admin: WebAdmin, reports: ReportServiceDep
) -> ReportsResolved:
    """Nothing wrong with the listing: close its open reports; it stays published."""
    return await reports.dismiss(admin, listing_id)

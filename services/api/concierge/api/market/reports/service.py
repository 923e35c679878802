"""Report rules: a buyer reports a published listing of someone else's once, with a
reason; the admins are told and find it in moderation until one of them dismisses the
reports (nothing wrong) or takes the listing down (``ModerationService.reject``)."""

from __future__ import annotations

from collections.abc import Sequence

from concierge.api.market.access import visible_listing
from concierge.api.market.listings.repository import ListingRepository
from concierge.api.market.notifications import listing_reported
from concierge.api.market.reports.repository import ReportRepository
from concierge.api.market.reports.schemas import ReportCreate, ReportRead, ReportsResolved
from concierge.api.notify.service import NotifyService
from concierge.api.paging import CursorCodec, KeysetPager
from concierge.common.errors import Conflict, NotFound
from concierge.contracts.errors import ErrorCode
from concierge.contracts.market import ListingStatus, ReportReason
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing, ListingReport, ReportStatus

QUEUE_SCOPE = "moderation.reports"


def report_read(report: ListingReport) -> ReportRead:
    return ReportRead(
        id=report.id,
        listing_id=report.listing_id,
        reason=ReportReason(report.reason),
        comment=report.comment,
        created_at=report.created_at,
    )


class ReportService:
    def __init__(
        self,
        reports: ReportRepository,
        listings: ListingRepository,
        notify: NotifyService,
        cursors: CursorCodec,
        webapp_url: str,
    ) -> None:
        self.reports = reports
        self.listings = listings
        self.notify = notify
        self.pager = KeysetPager(cursors, QUEUE_SCOPE)
        self.webapp_url = webapp_url

    async def report(self, reporter: User, listing_id: int, data: ReportCreate) -> ReportRead:
        listing = await visible_listing(self.listings, listing_id, reporter)
        if listing.owner_id == reporter.id:
            raise Conflict("You cannot report your own listing", code=ErrorCode.OWN_LISTING)
        if listing.status != ListingStatus.APPROVED:
            raise NotFound(
                f"Listing {listing_id} is not published", code=ErrorCode.LISTING_NOT_FOUND
            )
        report = await self.reports.file(listing.id, reporter.id, data.reason, data.comment)
        if report is None:
            raise Conflict(
                "You reported this listing already: the moderators have it",
                code=ErrorCode.ALREADY_REPORTED,
            )
        for admin in await self.listings.admins():
            await self.notify.enqueue(listing_reported(listing, report, admin, self.webapp_url))
        return report_read(report)

    async def reported(
        self, cursor: str | None, limit: int
    ) -> tuple[list[tuple[Listing, list[ReportRead]]], str | None]:
        """Published listings with open reports (the longest reported first), each with
        them."""
        rows = await self.reports.reported(self.pager.after(cursor), limit + 1)
        page, next_cursor = self.pager.page(rows, limit, lambda row: row[1])
        listings: Sequence[Listing] = [listing for listing, _ in page]
        reports = await self.reports.open_reports([listing.id for listing in listings])
        return [
            (listing, [report_read(r) for r in reports[listing.id]]) for listing in listings
        ], next_cursor

    async def dismiss(self, admin: User, listing_id: int) -> ReportsResolved:
        """Nothing wrong with the listing: its open reports are closed, it stays."""
        listing = await visible_listing(self.listings, listing_id, admin)
        resolved = await self.reports.resolve(listing.id, admin, ReportStatus.DISMISSED)
        if resolved:
            await self.listings.audit(listing, admin, "reports_dismissed")
        return ReportsResolved(resolved=resolved)

"""Every query on reports: filing one (once per buyer and listing), the listings with
open reports, and closing them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert

from concierge.api.paging import Keyset
from concierge.common.clock import utcnow
from concierge.contracts.market import ListingStatus
from concierge.db.repository import Repository
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing, ListingReport, ReportStatus


class ReportRepository(Repository[ListingReport]):
    model = ListingReport

    async def file(
        self, listing_id: int, reporter_id: int, reason: str, comment: str
    ) -> ListingReport | None:
        """The new report; None if this buyer reported this listing before."""
        inserted = await self.session.scalar(
            insert(ListingReport)
            .values(
                listing_id=listing_id,
                reporter_id=reporter_id,
                reason=reason,
                comment=comment,
                status=ReportStatus.OPEN,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["listing_id", "reporter_id"])
            .returning(ListingReport.id)
        )
        return None if inserted is None else await self.get(inserted)

    async def count_reported(self) -> int:
        """Published listings with at least one open report."""
        count = await self.session.scalar(
            select(func.count(func.distinct(ListingReport.listing_id)))
            .join(Listing, Listing.id == ListingReport.listing_id)
            .where(
                ListingReport.status == ReportStatus.OPEN,
                Listing.status == ListingStatus.APPROVED,
            )
        )
        return count or 0

    async def reported(self, after: Keyset | None, limit: int) -> Sequence[tuple[Listing, Keyset]]:
        """Published listings with open reports, the longest reported first, each with
        its place in that order (the oldest open report's time, the listing's id)."""
        first = func.min(ListingReport.created_at).label("first")
        grouped = (
            select(ListingReport.listing_id, first)
            .join(Listing, Listing.id == ListingReport.listing_id)
            .where(
                ListingReport.status == ReportStatus.OPEN,
                Listing.status == ListingStatus.APPROVED,
            )
            .group_by(ListingReport.listing_id)
            .subquery()
        )
        query = select(Listing, grouped.c.first).join(grouped, grouped.c.listing_id == Listing.id)
        if after is not None:
            query = query.where(tuple_(grouped.c.first, Listing.id) > (after.at, after.id))
        query = query.order_by(grouped.c.first, Listing.id).limit(limit)
        rows = await self.session.execute(query)
        return [(listing, Keyset(at, listing.id)) for listing, at in rows]

    async def open_reports(self, listing_ids: Sequence[int]) -> dict[int, list[ListingReport]]:
        """The open reports of these listings, oldest first."""
        found: dict[int, list[ListingReport]] = {id_: [] for id_ in listing_ids}
        if listing_ids:
            rows = await self.session.scalars(
                select(ListingReport)
                .where(
                    ListingReport.listing_id.in_(list(listing_ids)),
                    ListingReport.status == ReportStatus.OPEN,
                )
                .order_by(ListingReport.created_at, ListingReport.id)
            )
            for report in rows:
                found[report.listing_id].append(report)
        return found

    async def resolve(self, listing_id: int, admin: User, status: ReportStatus) -> int:
        """Close the listing's open reports with the admin's verdict; how many."""
        result: Any = await self.session.execute(
            update(ListingReport)
            .where(
                ListingReport.listing_id == listing_id, ListingReport.status == ReportStatus.OPEN
            )
            .values(status=status, resolved_at=utcnow(), resolved_by_id=admin.id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)

"""The reports API's dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.api.market.listings.deps import ListingRepositoryDep
from concierge.api.market.reports.repository import ReportRepository
from concierge.api.market.reports.service import ReportService
from concierge.api.notify.deps import NotifyServiceDep
from concierge.api.paging import CursorCodecDep
from concierge.db import SessionDep


def get_report_service(
    request: Request,
    session: SessionDep,
    listings: ListingRepositoryDep,
    notify: NotifyServiceDep,
    cursors: CursorCodecDep,
) -> ReportService:
    webapp_url: str = request.app.state.settings.webapp_url
    return ReportService(ReportRepository(session), listings, notify, cursors, webapp_url)


ReportServiceDep = Annotated[ReportService, Depends(get_report_service)]

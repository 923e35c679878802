"""The conversations API's dependencies."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from concierge.api.market.inquiries.repository import InquiryRepository
from concierge.api.market.inquiries.service import InquiryService
from concierge.api.market.listings.deps import ListingRepositoryDep
from concierge.api.notify.deps import NotifyServiceDep
from concierge.db import SessionDep


def get_inquiry_service(
    request: Request,
    session: SessionDep,
    listings: ListingRepositoryDep,
    notify: NotifyServiceDep,
) -> InquiryService:
    idle = timedelta(seconds=request.app.state.settings.conversation_idle_s)
    return InquiryService(InquiryRepository(session), listings, notify, idle)


InquiryServiceDep = Annotated[InquiryService, Depends(get_inquiry_service)]

"""The listings API's dependencies."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from concierge.api.after_commit import AfterCommitDep
from concierge.api.market.listings.repository import ListingRepository
from concierge.api.market.listings.service import BrowseService, Lifetime, ListingService
from concierge.api.notify.deps import NotifyServiceDep
from concierge.api.paging import CursorCodecDep
from concierge.api.search.deps import SearchServiceDep
from concierge.db import SessionDep


def get_listing_repository(session: SessionDep) -> ListingRepository:
    return ListingRepository(session)


ListingRepositoryDep = Annotated[ListingRepository, Depends(get_listing_repository)]


def get_listing_service(
    request: Request,
    listings: ListingRepositoryDep,
    notify: NotifyServiceDep,
    after_commit: AfterCommitDep,
    cursors: CursorCodecDep,
) -> ListingService:
    settings = request.app.state.settings
    lifetime = Lifetime(
        timedelta(seconds=settings.listing_lifetime_s),
        timedelta(seconds=settings.listing_reminder_s),
    )
    return ListingService(listings, notify, after_commit, cursors, settings.webapp_url, lifetime)


ListingServiceDep = Annotated[ListingService, Depends(get_listing_service)]


def get_browse_service(
    listings: ListingRepositoryDep, search: SearchServiceDep, cursors: CursorCodecDep
) -> BrowseService:
    return BrowseService(listings, search, cursors)


BrowseServiceDep = Annotated[BrowseService, Depends(get_browse_service)]

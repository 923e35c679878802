"""The listings API's dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.api.after_commit import AfterCommitDep
from concierge.api.market.listings.repository import ListingRepository
from concierge.api.market.listings.service import BrowseService, ListingService
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
    webapp_url: str = request.app.state.settings.webapp_url
    return ListingService(listings, notify, after_commit, cursors, webapp_url)


ListingServiceDep = Annotated[ListingService, Depends(get_listing_service)]


def get_browse_service(
    listings: ListingRepositoryDep, search: SearchServiceDep, cursors: CursorCodecDep
) -> BrowseService:
    return BrowseService(listings, search, cursors)


BrowseServiceDep = Annotated[BrowseService, Depends(get_browse_service)]

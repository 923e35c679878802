"""The Mini App's listing routes (``/api/v1/listings``): a seller's own listings.

Browsing and search (``GET /listings``) and photos have their own modules.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, status
from redis.exceptions import RedisError

from concierge.api.identity.deps import WebUser
from concierge.api.market.access import MAX_LISTING_ID
from concierge.api.market.reads import ListingReaderDep
from concierge.api.market.repository import ListingRepository
from concierge.api.market.schemas import (
    MAX_CURSOR_LENGTH,
    Category,
    ListingCreate,
    ListingPage,
    ListingRead,
    ListingStatus,
    ListingUpdate,
)
from concierge.api.market.service import ListingService
from concierge.api.notify.service import NotifyService
from concierge.db import SessionDep
from concierge.streams import JobQueue

log = logging.getLogger(__name__)

router = APIRouter(prefix="/listings", tags=["market"])

ListingId = Annotated[int, Path(gt=0, le=MAX_LISTING_ID, description="The listing's id")]
PageLimit = Annotated[int, Query(ge=1, le=50, description="Listings per page")]
PageCursor = Annotated[
    str | None, Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the last page")
]


async def enqueue_job(jobs: JobQueue, job_type: str, payload: dict[str, Any]) -> None:
    """Runs after the response, so after the commit. Redis being away fails nothing:
    the worker's periodic sweep finds listings whose index is out of date."""
    try:
        await jobs.enqueue(job_type, payload)
    except (RedisError, OSError):
        log.warning("could not enqueue %s %s; the sweep will catch up", job_type, payload,
                    exc_info=True)  # fmt: skip


def get_listing_service(
    request: Request, session: SessionDep, background: BackgroundTasks
) -> ListingService:
    jobs: JobQueue = request.app.state.jobs

    def after_commit(job_type: str, payload: dict[str, Any]) -> None:
        background.add_task(enqueue_job, jobs, job_type, payload)

    return ListingService(
        ListingRepository(session),
        NotifyService.for_session(session),
        after_commit,
        request.app.state.settings.webapp_url,
    )


ListingServiceDep = Annotated[ListingService, Depends(get_listing_service)]


@router.get("/categories", response_model=list[Category])
async def categories(_: WebUser) -> list[Category]:
    """Every category a listing may have."""
    return list(Category)


@router.post("", response_model=ListingRead, status_code=status.HTTP_201_CREATED)
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
async def get_listing(
    listing_id: ListingId, user: WebUser, listings: ListingServiceDep, reads: ListingReaderDep
) -> ListingRead:
    """The caller's own listing, or anybody's approved one (admins see all)."""
    return await reads.one(await listings.get(user, listing_id), user)


@router.patch("/{listing_id}", response_model=ListingRead)
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
async def submit_listing(
    listing_id: ListingId, user: WebUser, listings: ListingServiceDep, reads: ListingReaderDep
) -> ListingRead:
    """Send a draft (or a rejected listing) to moderation."""
    return await reads.one(await listings.submit(user, listing_id), user)


@router.post("/{listing_id}/archive", response_model=ListingRead)
async def archive_listing(
    listing_id: ListingId, user: WebUser, listings: ListingServiceDep, reads: ListingReaderDep
) -> ListingRead:
    """Take the listing down for good (it no longer counts against the cap)."""
    return await reads.one(await listings.archive(user, listing_id), user)

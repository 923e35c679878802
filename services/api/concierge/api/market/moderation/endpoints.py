"""The admins' moderation routes: the queue, approve, reject, and the audit log."""

from __future__ import annotations

from fastapi import APIRouter

from concierge.api.identity.deps import WebAdmin
from concierge.api.market.listings.schemas import ListingId, PageLimit
from concierge.api.market.moderation.deps import ModerationServiceDep
from concierge.api.market.moderation.schemas import (
    AuditEntry,
    ListingPage,
    ListingRead,
    ModerationApproval,
    ModerationDecision,
    ModerationSummary,
)
from concierge.api.market.reads import ListingReaderDep
from concierge.api.paging import PageCursor
from concierge.common.openapi import raises

router = APIRouter(prefix="/admin", tags=["market moderation"])


@router.get("/moderation/summary", response_model=ModerationSummary)
async def moderation_summary(_: WebAdmin, moderation: ModerationServiceDep) -> ModerationSummary:
    """How many listings wait for moderation, and how many published ones are reported."""
    return await moderation.summary()


@router.get("/moderation/queue", response_model=ListingPage)
async def moderation_queue(
    admin: WebAdmin,
    moderation: ModerationServiceDep,
    reads: ListingReaderDep,
    cursor: PageCursor = None,
    limit: PageLimit = 20,
) -> ListingPage:
    """Pending listings, the longest waiting first."""
    rows, next_cursor = await moderation.queue(cursor, limit)
    return ListingPage(items=await reads.many(rows, admin), next_cursor=next_cursor)


@router.post("/listings/{listing_id}/approve", response_model=ListingRead)
@raises(404, 409)
async def approve_listing(
    listing_id: ListingId,
    approval: ModerationApproval,
    admin: WebAdmin,
    moderation: ModerationServiceDep,
    reads: ListingReaderDep,
) -> ListingRead:
    """Publish a pending listing at the revision reviewed; the owner is told and search
    indexes it. A listing changed since then is a 409 and stays in the queue."""
    listing = await moderation.approve(admin, listing_id, approval.revision)
    return await reads.one(listing, admin)


@router.post("/listings/{listing_id}/reject", response_model=ListingRead)
@raises(404, 409)
async def reject_listing(
    listing_id: ListingId,
    decision: ModerationDecision,
    admin: WebAdmin,
    moderation: ModerationServiceDep,
    reads: ListingReaderDep,
) -> ListingRead:
    """Refuse a pending listing at the revision reviewed, with a reason the owner is told
    (or take down a published one, reported say: out of search, its reports upheld). A
    listing changed since then is a 409 and stays as it is."""
    listing = await moderation.reject(admin, listing_id, decision.revision, decision.reason)
    return await reads.one(listing, admin)


@router.get("/listings/{listing_id}/audit", response_model=list[AuditEntry])
@raises(404)
async def listing_audit(
    listing_id: ListingId, admin: WebAdmin, moderation: ModerationServiceDep
) -> list[AuditEntry]:
    """Who did what to the listing, oldest first."""
    return await moderation.audit_log(admin, listing_id)

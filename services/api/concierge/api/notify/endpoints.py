from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from concierge.api.identity.deps import CurrentAdmin
from concierge.api.notify.deps import NotifyServiceDep
from concierge.api.notify.schemas import (
    AdminAlertCreate,
    AdminAlertQueued,
    BroadcastCreate,
    BroadcastRead,
    ChatBlocked,
    ClaimedBatch,
    ClaimedNotification,
    ClaimRequest,
    NotificationCreate,
    NotificationRead,
    ReportBatch,
    ReportSummary,
)
from concierge.common.auth import require_service_token
from concierge.common.openapi import raises

router = APIRouter(tags=["notify"], dependencies=[Depends(require_service_token)])
ChatIdPath = Annotated[int, Path(ge=-(2**53), le=2**53)]
BroadcastIdPath = Annotated[int, Path(gt=0, lt=2**63)]


@router.post(
    "/notifications",
    response_model=NotificationRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": NotificationRead, "description": "The key was used: the first one"}},
)
@raises(404)
async def create_notification(
    data: NotificationCreate, notify: NotifyServiceDep, response: Response
) -> NotificationRead:
    """Queue a message to a chat: 201 when new, 200 with the first one when the key is used."""
    row, created = await notify.create(data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return NotificationRead.model_validate(row)


@router.post("/notifications/admins", response_model=AdminAlertQueued)
async def tell_admins(alert: AdminAlertCreate, notify: NotifyServiceDep) -> AdminAlertQueued:
    """Queue a message to every admin who has not blocked the bot (another service's
    alert: the user-bot logged out). The same key again queues nothing new."""
    return await notify.tell_admins(alert)


@router.post("/notifications/claims", response_model=ClaimedBatch)
async def claim_notifications(request: ClaimRequest, notify: NotifyServiceDep) -> ClaimedBatch:
    """The relay leases due notifications, at most one per chat, for ``lease_s`` seconds."""
    rows = await notify.claim(request.limit, request.lease_s)
    return ClaimedBatch(items=[ClaimedNotification.model_validate(row) for row in rows])


@router.post("/notifications/reports", response_model=ReportSummary)
async def report_deliveries(batch: ReportBatch, notify: NotifyServiceDep) -> ReportSummary:
    """The relay tells what Telegram said about each notification it tried."""
    return await notify.report(batch.reports)


@router.put("/notifications/chats/{chat_id}/blocked", response_model=ChatBlocked)
async def set_chat_blocked(
    chat_id: ChatIdPath, change: ChatBlocked, notify: NotifyServiceDep
) -> ChatBlocked:
    """The user blocked the bot (nothing more is sent) or came back."""
    await notify.set_chat_blocked(chat_id, change.blocked)
    return change


@router.post("/admin/broadcasts", response_model=BroadcastRead, status_code=status.HTTP_201_CREATED)
async def create_broadcast(
    data: BroadcastCreate, admin: CurrentAdmin, notify: NotifyServiceDep
) -> BroadcastRead:
    """Admins only: one message to every user of the audience who has not blocked the bot."""
    return await notify.create_broadcast(admin, data)


@router.get("/admin/broadcasts/{broadcast_id}", response_model=BroadcastRead)
@raises(404)
async def get_broadcast(
    broadcast_id: BroadcastIdPath, _: CurrentAdmin, notify: NotifyServiceDep
) -> BroadcastRead:
    """Admins only: the broadcast with its recipients counted by delivery status."""
    return await notify.broadcast(broadcast_id)

"""Notify's API models live in the shared contracts lib; this module names them for api."""

from concierge.contracts.notify import (
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

__all__ = [
    "AdminAlertCreate",
    "AdminAlertQueued",
    "BroadcastCreate",
    "BroadcastRead",
    "ChatBlocked",
    "ClaimRequest",
    "ClaimedBatch",
    "ClaimedNotification",
    "NotificationCreate",
    "NotificationRead",
    "ReportBatch",
    "ReportSummary",
]

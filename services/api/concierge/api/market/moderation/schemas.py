"""Moderation's API models (shared contract models)."""

from concierge.contracts.market import (
    AuditEntry,
    ListingPage,
    ListingRead,
    ModerationApproval,
    ModerationDecision,
    ModerationSummary,
)

__all__ = [
    "AuditEntry",
    "ListingPage",
    "ListingRead",
    "ModerationApproval",
    "ModerationDecision",
    "ModerationSummary",
]

"""Typed client of the market desk's api routes for the bot, which calls the Mini App's
own routes on a user's behalf (the service token and ``X-Acting-User``: the api treats
the call as that user's). Errors are ``ServiceResponseError`` with the body's ``code``."""

from __future__ import annotations

from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.contracts.market import (
    Availability,
    AvailabilityChange,
    InquiryRead,
    ListingPage,
    ListingRead,
    ModerationApproval,
    ModerationDecision,
    ModerationSummary,
    RelayMessage,
    RelayOutcome,
    ReportCreate,
    ReportRead,
    ReportReason,
)

LISTINGS = "/api/v1/listings"
INQUIRIES = "/api/v1/inquiries"
ADMIN = "/api/v1/admin"


def _as(telegram_id: int) -> dict[str, str]:
    return {ACTING_USER_HEADER: str(telegram_id)}


class MarketApiClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    # --- listings -------------------------------------------------------------------

    async def listing(self, user: int, listing_id: int) -> ListingRead:
        """The listing as the user sees it (their look counts as a view)."""
        response = await self.http.request("GET", f"{LISTINGS}/{listing_id}", headers=_as(user))
        return ListingRead.model_validate(response.json())

    async def set_availability(
        self, user: int, listing_id: int, availability: Availability
    ) -> ListingRead:
        body = AvailabilityChange(availability=availability).model_dump(mode="json")
        response = await self.http.request(
            "POST",
            f"{LISTINGS}/{listing_id}/availability",
            json=body,
            headers=_as(user),
            idempotent=True,  # marking twice is marking once
        )
        return ListingRead.model_validate(response.json())

    async def renew(self, user: int, listing_id: int) -> ListingRead:
        response = await self.http.request(
            "POST", f"{LISTINGS}/{listing_id}/renew", headers=_as(user)
        )
        return ListingRead.model_validate(response.json())

    async def report(self, user: int, listing_id: int, reason: ReportReason) -> ReportRead:
        body = ReportCreate(reason=reason).model_dump(mode="json")
        response = await self.http.request(
            "POST", f"{LISTINGS}/{listing_id}/reports", json=body, headers=_as(user)
        )
        return ReportRead.model_validate(response.json())

    # --- conversations --------------------------------------------------------------

    async def write_to_seller(self, user: int, listing_id: int) -> InquiryRead:
        response = await self.http.request(
            "POST", f"{LISTINGS}/{listing_id}/inquiries", headers=_as(user), idempotent=True
        )
        return InquiryRead.model_validate(response.json())

    async def relay(self, user: int, text: str, ref: str) -> RelayOutcome:
        """Pass on what the user wrote, if their chat belongs to a conversation; the ref
        makes a retry harmless."""
        body = RelayMessage(text=text, ref=ref).model_dump(mode="json")
        response = await self.http.request(
            "POST", f"{INQUIRIES}/messages", json=body, headers=_as(user), idempotent=True
        )
        return RelayOutcome.model_validate(response.json())

    async def inquiry_action(self, user: int, inquiry_id: int, action: str) -> InquiryRead:
        """``focus`` (reply), ``close`` (end) or ``block`` (the seller)."""
        response = await self.http.request(
            "POST", f"{INQUIRIES}/{inquiry_id}/{action}", headers=_as(user), idempotent=True
        )
        return InquiryRead.model_validate(response.json())

    # --- moderation -----------------------------------------------------------------

    async def moderation_summary(self, admin: int) -> ModerationSummary:
        response = await self.http.request("GET", f"{ADMIN}/moderation/summary", headers=_as(admin))
        return ModerationSummary.model_validate(response.json())

    async def moderation_queue(self, admin: int, limit: int = 50) -> ListingPage:
        response = await self.http.request(
            "GET", f"{ADMIN}/moderation/queue", params={"limit": limit}, headers=_as(admin)
        )
        return ListingPage.model_validate(response.json())

    async def approve(self, admin: int, listing_id: int, revision: int) -> ListingRead:
        body = ModerationApproval(revision=revision).model_dump(mode="json")
        response = await self.http.request(
            "POST", f"{ADMIN}/listings/{listing_id}/approve", json=body, headers=_as(admin)
        )
        return ListingRead.model_validate(response.json())

    async def reject(self, admin: int, listing_id: int, revision: int, reason: str) -> ListingRead:
        body = ModerationDecision(revision=revision, reason=reason).model_dump(mode="json")
        response = await self.http.request(
            "POST", f"{ADMIN}/listings/{listing_id}/reject", json=body, headers=_as(admin)
        )
        return ListingRead.model_validate(response.json())

"""Conversation routes: a buyer writes to a listing's seller, either side replies, ends
the conversation or (the seller) blocks the buyer; the bot relays what a user writes.
The Mini App starts conversations; the bot calls every route for the user it acts for."""

from __future__ import annotations

from fastapi import APIRouter

from concierge.api.identity.deps import WebUser
from concierge.api.market.inquiries.deps import InquiryServiceDep
from concierge.api.market.inquiries.schemas import (
    InquiryId,
    InquiryRead,
    RelayMessage,
    RelayOutcome,
)
from concierge.api.market.listings.schemas import ListingId
from concierge.common.openapi import raises

router = APIRouter(tags=["market conversations"])


@router.post("/listings/{listing_id}/inquiries", response_model=InquiryRead)
@raises(404, 409)
async def write_to_seller(
    listing_id: ListingId, user: WebUser, inquiries: InquiryServiceDep
) -> InquiryRead:
    """Start (or reopen) the caller's conversation with the listing's seller: from now on
    what the caller writes in the chat with the bot goes to the seller (the bot says so
    in the chat). Neither side sees the other's account."""
    return await inquiries.start(user, listing_id)


@router.post("/inquiries/messages", response_model=RelayOutcome)
@raises(409)
async def relay_message(
    message: RelayMessage, user: WebUser, inquiries: InquiryServiceDep
) -> RelayOutcome:
    """Pass on what the caller wrote in the chat to the other side of the conversation
    the chat belongs to; ``relayed`` is false when it belongs to none (any more)."""
    return await inquiries.relay(user, message)


@router.post("/inquiries/{inquiry_id}/focus", response_model=InquiryRead)
@raises(404, 409)
async def reply_in_conversation(
    inquiry_id: InquiryId, user: WebUser, inquiries: InquiryServiceDep
) -> InquiryRead:
    """From now on what the caller writes in the chat goes to the other side of this
    conversation (the bot says so in the chat)."""
    return await inquiries.focus(user, inquiry_id)


@router.post("/inquiries/{inquiry_id}/close", response_model=InquiryRead)
@raises(404)
async def end_conversation(
    inquiry_id: InquiryId, user: WebUser, inquiries: InquiryServiceDep
) -> InquiryRead:
    """End the conversation; the other side is told."""
    return await inquiries.close(user, inquiry_id)


@router.post("/inquiries/{inquiry_id}/block", response_model=InquiryRead)
@raises(404, 409)
async def block_buyer(
    inquiry_id: InquiryId, user: WebUser, inquiries: InquiryServiceDep
) -> InquiryRead:
    """The seller ends the conversation and takes no more messages from this buyer."""
    return await inquiries.block(user, inquiry_id)

"""Conversation rules: a buyer writes to a listing's seller through the bot, and neither
sees the other's account.

- ``start``: "Write to the seller" (a published listing of someone else's, not sold, a
  seller who has not blocked the buyer, at most NEW_INQUIRIES_PER_DAY new conversations
  a day). One conversation per buyer and listing; writing again reopens it. The buyer's
  chat now belongs to it: a prompt (with the seller's t.me link when allowed) says so.
- ``focus``: "Reply" under a relayed message: the chat belongs to that conversation.
- ``relay``: text written in a chat that belongs to a conversation goes to the other
  side through the outbox (in order, at Telegram's pace). The seller hears of a new
  buyer once, with the buyer's first message and the seller's actions (sold, reserved,
  block, end); later messages come plain. A chat stops belonging to a conversation
  ``API_CONVERSATION_IDLE_S`` after its last message there: plain text is a search again.
  At most RELAY_LIMIT messages per side in RELAY_WINDOW_MIN minutes.
- ``close``: either side ends it; the other is told. ``block``: the seller ends it (the
  buyer is told it ended; their next text is a search) and takes no more messages from
  the buyer, who is told politely if they write to the seller again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from concierge.api.market.access import visible_listing
from concierge.api.market.inquiries.repository import InquiryRepository
from concierge.api.market.listings.repository import ListingRepository
from concierge.api.market.notifications import conversation_prompt, inquiry_closed, relayed
from concierge.api.market.reads import seller_link
from concierge.api.notify.service import NotifyService
from concierge.common.clock import utcnow
from concierge.common.errors import Conflict, NotFound
from concierge.contracts.errors import ErrorCode
from concierge.contracts.market import (
    NEW_INQUIRIES_PER_DAY,
    RELAY_LIMIT,
    RELAY_WINDOW_MIN,
    Availability,
    InquiryRead,
    InquiryRole,
    InquiryStatus,
    ListingStatus,
    RelayMessage,
    RelayOutcome,
)
from concierge.domain.identity.models import User
from concierge.domain.market.models import Inquiry, Listing


def role_of(inquiry: Inquiry, user: User) -> InquiryRole:
    return InquiryRole.SELLER if inquiry.seller_id == user.id else InquiryRole.BUYER


def _blocked() -> Conflict:
    return Conflict(
        "The seller does not take messages from you about their listings",
        code=ErrorCode.SELLER_BLOCKED_YOU,
    )


def _closed() -> Conflict:
    return Conflict("The conversation has ended", code=ErrorCode.INQUIRY_CLOSED)


class InquiryService:
    def __init__(
        self,
        inquiries: InquiryRepository,
        listings: ListingRepository,
        notify: NotifyService,
        idle: timedelta,
    ) -> None:
        self.inquiries = inquiries
        self.listings = listings
        self.notify = notify
        self.idle = idle

    async def start(self, buyer: User, listing_id: int) -> InquiryRead:
        listing = await visible_listing(self.listings, listing_id, buyer)
        if listing.owner_id == buyer.id:
            raise Conflict("This is your own listing", code=ErrorCode.OWN_LISTING)
        if listing.status != ListingStatus.APPROVED:
            raise NotFound(
                f"Listing {listing_id} is not published", code=ErrorCode.LISTING_NOT_FOUND
            )
        if listing.availability == Availability.SOLD:
            raise Conflict("The listing is sold", code=ErrorCode.LISTING_SOLD)
        if await self.inquiries.blocked(listing.owner_id, buyer.id):
            raise _blocked()
        now = utcnow()
        inquiry = await self.inquiries.of_buyer(listing.id, buyer.id)
        if inquiry is None:
            since = now - timedelta(days=1)
            if await self.inquiries.started_since(buyer.id, since) >= NEW_INQUIRIES_PER_DAY:
                raise Conflict(
                    f"You started {NEW_INQUIRIES_PER_DAY} conversations today, the most "
                    "allowed: continue one of them or try tomorrow",
                    code=ErrorCode.TOO_MANY_INQUIRIES,
                    params={"max": NEW_INQUIRIES_PER_DAY},
                )
            await self.listings.owned(listing.id, listing.owner_id)  # numbers in turn
            inquiry = await self.inquiries.create(listing.id, buyer.id, listing.owner_id)
        elif inquiry.status == InquiryStatus.CLOSED:
            inquiry.status = InquiryStatus.OPEN
            inquiry.closed_at = inquiry.closed_by_id = None
        return await self._focus(buyer, inquiry, listing, now)

    async def focus(self, user: User, inquiry_id: int) -> InquiryRead:
        inquiry = await self._participant(user, inquiry_id)
        listing = await self._listing(inquiry)
        if inquiry.status == InquiryStatus.CLOSED:
            raise _closed()
        if role_of(inquiry, user) == InquiryRole.BUYER and await self.inquiries.blocked(
            inquiry.seller_id, user.id
        ):
            raise _blocked()
        return await self._focus(user, inquiry, listing, utcnow())

    async def relay(self, sender: User, message: RelayMessage) -> RelayOutcome:
        now = utcnow()
        focus = await self.inquiries.focus_of(sender.id)
        if focus is None:
            return RelayOutcome(relayed=False)
        if (focus.last_message_at or focus.focused_at) < now - self.idle:
            await self.inquiries.clear_focus(sender.id)
            return RelayOutcome(relayed=False)
        inquiry = await self.inquiries.locked(focus.inquiry_id)
        assert inquiry is not None  # the focus row's foreign key
        role = role_of(inquiry, sender)
        if role == InquiryRole.BUYER and await self.inquiries.blocked(inquiry.seller_id, sender.id):
            raise _blocked()
        if inquiry.status == InquiryStatus.CLOSED:
            raise _closed()
        since = now - timedelta(minutes=RELAY_WINDOW_MIN)
        if await self.inquiries.sent_since(inquiry.id, sender.id, since) >= RELAY_LIMIT:
            raise Conflict(
                f"At most {RELAY_LIMIT} messages in {RELAY_WINDOW_MIN} minutes: wait a little",
                code=ErrorCode.TOO_MANY_MESSAGES,
                params={"max": RELAY_LIMIT, "minutes": RELAY_WINDOW_MIN},
            )
        listing = await self._listing(inquiry)
        first = focus.last_message_at is None
        if await self.inquiries.record_message(inquiry.id, sender.id, message.ref, now):
            focus.last_message_at = now
            await self._pass_on(inquiry, listing, role, message)
        return RelayOutcome(
            relayed=True, inquiry=await self._read(inquiry, listing, sender), first=first
        )

    async def close(self, user: User, inquiry_id: int) -> InquiryRead:
        inquiry = await self._participant(user, inquiry_id)
        listing = await self._listing(inquiry)
        role = role_of(inquiry, user)
        if inquiry.status == InquiryStatus.OPEN:
            self._end(inquiry, user)
            for side in (inquiry.buyer_id, inquiry.seller_id):
                await self.inquiries.clear_focus(side, inquiry.id)
            other = inquiry.seller_id if role == InquiryRole.BUYER else inquiry.buyer_id
            recipient = await self.listings.user(other)
            await self.notify.enqueue(inquiry_closed(inquiry, listing, recipient, role))
        else:
            await self.inquiries.clear_focus(user.id, inquiry.id)
        return await self._read(inquiry, listing, user)

    async def block(self, seller: User, inquiry_id: int) -> InquiryRead:
        """The seller ends the conversation and takes no more messages from the buyer.
        The buyer is told it ended, as when the seller ends it, and both chats are
        theirs again (the buyer's next text is a search); writing to the seller again
        is refused politely."""
        inquiry = await self._participant(seller, inquiry_id)
        if role_of(inquiry, seller) != InquiryRole.SELLER:
            raise Conflict("Only the seller can block a buyer", code=ErrorCode.ONLY_THE_SELLER)
        listing = await self._listing(inquiry)
        await self.inquiries.block(seller.id, inquiry.buyer_id)
        if inquiry.status == InquiryStatus.OPEN:
            self._end(inquiry, seller)
            buyer = await self.listings.user(inquiry.buyer_id)
            await self.notify.enqueue(inquiry_closed(inquiry, listing, buyer, InquiryRole.SELLER))
        for side in (inquiry.buyer_id, inquiry.seller_id):
            await self.inquiries.clear_focus(side, inquiry.id)
        return await self._read(inquiry, listing, seller)

    # --- pieces ---------------------------------------------------------------------

    async def _participant(self, user: User, inquiry_id: int) -> Inquiry:
        """The conversation, locked, if the user is one of its two sides; 404 otherwise."""
        inquiry = await self.inquiries.locked(inquiry_id)
        if inquiry is None or user.id not in (inquiry.buyer_id, inquiry.seller_id):
            raise NotFound(
                f"Conversation {inquiry_id} does not exist", code=ErrorCode.INQUIRY_NOT_FOUND
            )
        return inquiry

    async def _listing(self, inquiry: Inquiry) -> Listing:
        listing = await self.listings.get(inquiry.listing_id)
        assert listing is not None  # the conversation's foreign key
        return listing

    async def _focus(
        self, user: User, inquiry: Inquiry, listing: Listing, now: datetime
    ) -> InquiryRead:
        """The user's chat belongs to this conversation now; a prompt tells them so."""
        await self.inquiries.set_focus(user.id, inquiry.id, now)
        role = role_of(inquiry, user)
        seller = await self.listings.user(inquiry.seller_id)
        direct = (
            seller if role == InquiryRole.BUYER and seller_link(listing, seller, user) else None
        )
        await self.notify.enqueue(conversation_prompt(inquiry, listing, user, role, now, direct))
        return await self._read(inquiry, listing, user)

    async def _pass_on(
        self, inquiry: Inquiry, listing: Listing, role: InquiryRole, message: RelayMessage
    ) -> None:
        to_seller = role == InquiryRole.BUYER
        recipient = await self.listings.user(inquiry.seller_id if to_seller else inquiry.buyer_id)
        first = to_seller and inquiry.seller_told_at is None
        if first:
            inquiry.seller_told_at = utcnow()
        other = InquiryRole.SELLER if to_seller else InquiryRole.BUYER
        for notice in relayed(
            inquiry, listing, recipient, other, message.text, message.ref, first=first
        ):
            await self.notify.enqueue(notice)

    @staticmethod
    def _end(inquiry: Inquiry, by: User) -> None:
        inquiry.status = InquiryStatus.CLOSED
        inquiry.closed_at = utcnow()
        inquiry.closed_by_id = by.id

    async def _read(self, inquiry: Inquiry, listing: Listing, viewer: User) -> InquiryRead:
        role = role_of(inquiry, viewer)
        link = None
        if role == InquiryRole.BUYER:
            link = seller_link(listing, await self.listings.user(inquiry.seller_id), viewer)
        return InquiryRead(
            id=inquiry.id,
            listing_id=listing.id,
            listing_title=listing.title,
            role=role,
            status=InquiryStatus(inquiry.status),
            buyer_number=inquiry.buyer_number,
            seller_link=link,
        )

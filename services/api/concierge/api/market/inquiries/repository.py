"""Every query on conversations: the one of a buyer and a listing, its messages (for
flood control and to relay a retried message once), who is writing to whom, and
sellers' blocks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from concierge.contracts.market import InquiryStatus
from concierge.db.repository import Repository
from concierge.domain.market.models import (
    ConversationFocus,
    Inquiry,
    InquiryMessage,
    SellerBlock,
)


class InquiryRepository(Repository[Inquiry]):
    model = Inquiry

    async def locked(self, inquiry_id: int) -> Inquiry | None:
        return await self.session.scalar(
            select(Inquiry)
            .where(Inquiry.id == inquiry_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def of_buyer(self, listing_id: int, buyer_id: int) -> Inquiry | None:
        """The buyer's conversation about the listing, locked."""
        return await self.session.scalar(
            select(Inquiry)
            .where(Inquiry.listing_id == listing_id, Inquiry.buyer_id == buyer_id)
            .with_for_update()
        )

    async def create(self, listing_id: int, buyer_id: int, seller_id: int) -> Inquiry:
        """A new conversation, numbered after the listing's others (the caller holds the
        listing's row lock, so two buyers never get one number)."""
        number = await self.session.scalar(
            select(func.count()).select_from(Inquiry).where(Inquiry.listing_id == listing_id)
        )
        return await self.add(
            Inquiry(
                listing_id=listing_id,
                buyer_id=buyer_id,
                seller_id=seller_id,
                buyer_number=(number or 0) + 1,
                status=InquiryStatus.OPEN,
            )
        )

    async def started_since(self, buyer_id: int, since: datetime) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Inquiry)
            .where(Inquiry.buyer_id == buyer_id, Inquiry.created_at >= since)
        )
        return count or 0

    # --- who is writing to whom -----------------------------------------------------

    async def focus_of(self, user_id: int) -> ConversationFocus | None:
        """What the user writes to, locked (read afresh: an upsert may have changed it)."""
        return await self.session.scalar(
            select(ConversationFocus)
            .where(ConversationFocus.user_id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def set_focus(self, user_id: int, inquiry_id: int, at: datetime) -> None:
        statement = insert(ConversationFocus).values(
            user_id=user_id, inquiry_id=inquiry_id, focused_at=at, last_message_at=None
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[ConversationFocus.user_id],
                set_={"inquiry_id": inquiry_id, "focused_at": at, "last_message_at": None},
            )
        )

    async def clear_focus(self, user_id: int, inquiry_id: int | None = None) -> None:
        """Forget what the user was writing to (only ``inquiry_id``, when given)."""
        statement = delete(ConversationFocus).where(ConversationFocus.user_id == user_id)
        if inquiry_id is not None:
            statement = statement.where(ConversationFocus.inquiry_id == inquiry_id)
        await self.session.execute(statement.execution_options(synchronize_session=False))

    # --- messages -------------------------------------------------------------------

    async def record_message(self, inquiry_id: int, sender_id: int, ref: str, at: datetime) -> bool:
        """Note a relayed message; False if this one (its ref) was relayed before."""
        inserted = await self.session.scalar(
            insert(InquiryMessage)
            .values(inquiry_id=inquiry_id, sender_id=sender_id, ref=ref, at=at)
            .on_conflict_do_nothing(index_elements=["sender_id", "ref"])
            .returning(InquiryMessage.id)
        )
        return inserted is not None

    async def sent_since(self, inquiry_id: int, sender_id: int, since: datetime) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(InquiryMessage)
            .where(
                InquiryMessage.inquiry_id == inquiry_id,
                InquiryMessage.sender_id == sender_id,
                InquiryMessage.at >= since,
            )
        )
        return count or 0

    # --- blocks ---------------------------------------------------------------------

    async def blocked(self, seller_id: int, buyer_id: int) -> bool:
        found = await self.session.scalar(
            select(SellerBlock.seller_id).where(
                SellerBlock.seller_id == seller_id, SellerBlock.buyer_id == buyer_id
            )
        )
        return found is not None

    async def block(self, seller_id: int, buyer_id: int) -> None:
        await self.session.execute(
            insert(SellerBlock)
            .values(seller_id=seller_id, buyer_id=buyer_id)
            .on_conflict_do_nothing()
        )

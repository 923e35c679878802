"""Every query of the guest assistant: an item's facts and settings, a chat's state, its
booking, drafts. Landlord-facing reads go through the account's access (owner or
co-host); the assistant's own reads are keyed by the stored message only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.identity.models import User
from concierge.domain.rentals.models import (
    RentalsAccount,
    RentalsBooking,
    RentalsChat,
    RentalsCohost,
    RentalsDraft,
    RentalsFaq,
    RentalsItem,
    RentalsMessage,
)


class GuestAssistantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- the assistant's reads, from one stored message ----------------------------------

    async def claim(self, message_id: int, at: datetime) -> bool:
        """Mark the message handled; False when someone did before."""
        statement = (
            update(RentalsMessage)
            .where(RentalsMessage.id == message_id, RentalsMessage.handled_at.is_(None))
            .values(handled_at=at)
            .returning(RentalsMessage.id)
        )
        return (await self.session.scalar(statement)) is not None

    async def message(
        self, message_id: int
    ) -> tuple[RentalsMessage, RentalsChat, RentalsAccount] | None:
        query = (
            select(RentalsMessage, RentalsChat, RentalsAccount)
            .join(RentalsChat, RentalsChat.id == RentalsMessage.chat_id)
            .join(RentalsAccount, RentalsAccount.id == RentalsChat.account_id)
            .where(RentalsMessage.id == message_id)
            .with_for_update(of=RentalsChat)
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else (row[0], row[1], row[2])

    async def user(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def item_of(self, chat: RentalsChat) -> RentalsItem | None:
        if chat.avito_item_id is None:
            return None
        query = select(RentalsItem).where(
            RentalsItem.account_id == chat.account_id,
            RentalsItem.avito_item_id == chat.avito_item_id,
        )
        return await self.session.scalar(query)

    async def faq(self, item_id: int) -> Sequence[RentalsFaq]:
        query = select(RentalsFaq).where(RentalsFaq.item_id == item_id).order_by(RentalsFaq.id)
        return (await self.session.scalars(query)).all()

    async def booking_of(self, chat: RentalsChat, item_id: int | None) -> RentalsBooking | None:
        """The chat's own booking, and only when it is of the chat's item."""
        if chat.booking_id is None or item_id is None:
            return None
        query = select(RentalsBooking).where(
            RentalsBooking.id == chat.booking_id, RentalsBooking.item_id == item_id
        )
        return await self.session.scalar(query)

    async def hand_off(self, chat: RentalsChat, reason: str, at: datetime) -> bool:
        """Hand the chat to the landlord; False when it already was."""
        statement = (
            update(RentalsChat)
            .where(RentalsChat.id == chat.id, RentalsChat.handed_off_at.is_(None))
            .values(handed_off_at=at, handoff_reason=reason)
            .returning(RentalsChat.id)
        )
        return (await self.session.scalar(statement)) is not None

    async def save_arrival(
        self, chat: RentalsChat, booking: RentalsBooking | None, at: str | None, on: date | None
    ) -> None:
        chat.arrival_time, chat.arrival_date = at, on
        if booking is not None:
            booking.arrival_time, booking.arrival_date = at, on
        await self.session.flush()

    async def add_draft(self, chat_id: int, message_id: int, text: str) -> RentalsDraft:
        draft = RentalsDraft(chat_id=chat_id, message_id=message_id, text=text)
        self.session.add(draft)
        await self.session.flush()
        return draft

    # --- the landlord's side (scoped by the account's access) ----------------------------

    def _access(self, user_id: int, write: bool) -> Any:
        cohost = select(RentalsCohost.account_id).where(RentalsCohost.user_id == user_id)
        if write:
            cohost = cohost.where(RentalsCohost.access == "full")
        return or_(RentalsAccount.owner_id == user_id, RentalsAccount.id.in_(cohost))

    async def item_for(self, user_id: int, item_id: int, *, write: bool) -> RentalsItem | None:
        query = (
            select(RentalsItem)
            .join(RentalsAccount, RentalsAccount.id == RentalsItem.account_id)
            .where(RentalsItem.id == item_id, self._access(user_id, write))
        )
        return await self.session.scalar(query)

    async def count_faq(self, item_id: int) -> int:
        query = select(func.count()).select_from(RentalsFaq).where(RentalsFaq.item_id == item_id)
        return int(await self.session.scalar(query) or 0)

    async def add_faq(self, item_id: int, question: str, answer: str) -> RentalsFaq:
        entry = RentalsFaq(item_id=item_id, question=question, answer=answer)
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def delete_faq(self, item_id: int, faq_id: int) -> bool:
        statement = (
            delete(RentalsFaq)
            .where(RentalsFaq.id == faq_id, RentalsFaq.item_id == item_id)
            .returning(RentalsFaq.id)
        )
        return (await self.session.scalar(statement)) is not None

    async def chat_for(
        self, user_id: int, chat_id: int, *, write: bool
    ) -> tuple[RentalsChat, RentalsAccount] | None:
        query = (
            select(RentalsChat, RentalsAccount)
            .join(RentalsAccount, RentalsAccount.id == RentalsChat.account_id)
            .where(RentalsChat.id == chat_id, self._access(user_id, write))
            .with_for_update(of=RentalsChat)
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else (row[0], row[1])

    async def chats_for(self, user_id: int, limit: int = 50) -> Sequence[RentalsChat]:
        query = (
            select(RentalsChat)
            .join(RentalsAccount, RentalsAccount.id == RentalsChat.account_id)
            .where(self._access(user_id, False))
            .order_by(RentalsChat.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def resume(self, chat: RentalsChat) -> None:
        chat.handed_off_at, chat.handoff_reason = None, None
        await self.session.flush()

    async def booking_for_chat(self, chat: RentalsChat, booking_id: int) -> RentalsBooking | None:
        """A booking of the chat's item (the account's), or None."""
        query = (
            select(RentalsBooking)
            .join(RentalsItem, RentalsItem.id == RentalsBooking.item_id)
            .where(
                RentalsBooking.id == booking_id,
                and_(
                    RentalsItem.account_id == chat.account_id,
                    RentalsItem.avito_item_id == chat.avito_item_id,
                ),
            )
        )
        return await self.session.scalar(query)

    async def bookings_for_chat(
        self, chat: RentalsChat, from_day: date, limit: int = 10
    ) -> Sequence[RentalsBooking]:
        """The live bookings of the chat's item not over before ``from_day``, soonest first."""
        query = (
            select(RentalsBooking)
            .join(RentalsItem, RentalsItem.id == RentalsBooking.item_id)
            .where(
                RentalsItem.account_id == chat.account_id,
                RentalsItem.avito_item_id == chat.avito_item_id,
                RentalsBooking.check_out >= from_day,
                RentalsBooking.status.in_(("active", "pending")),
            )
            .order_by(RentalsBooking.check_in, RentalsBooking.id)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def draft_for(
        self, user_id: int, draft_id: int
    ) -> tuple[RentalsDraft, RentalsChat, RentalsAccount] | None:
        query = (
            select(RentalsDraft, RentalsChat, RentalsAccount)
            .join(RentalsChat, RentalsChat.id == RentalsDraft.chat_id)
            .join(RentalsAccount, RentalsAccount.id == RentalsChat.account_id)
            .where(RentalsDraft.id == draft_id, self._access(user_id, True))
            .with_for_update(of=RentalsDraft)
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else (row[0], row[1], row[2])

    async def expire_drafts(self, created_before: datetime) -> int:
        statement = (
            update(RentalsDraft)
            .where(RentalsDraft.status == "pending", RentalsDraft.created_at <= created_before)
            .values(status="expired")
            .returning(RentalsDraft.id)
        )
        return len((await self.session.scalars(statement)).all())

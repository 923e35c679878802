"""Every query on guests' chats and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.rentals.models import RentalsAccount, RentalsChat, RentalsMessage


class GuestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def accounts(self, ids: set[int]) -> dict[int, RentalsAccount]:
        query = select(RentalsAccount).where(RentalsAccount.id.in_(ids))
        return {a.id: a for a in (await self.session.scalars(query)).all()}

    async def chat(
        self, account_id: int, avito_chat_id: str, item_id: int | None, guest: int
    ) -> int:
        """The chat's row id (made on its first message)."""
        statement = (
            insert(RentalsChat)
            .values(
                account_id=account_id,
                avito_chat_id=avito_chat_id,
                avito_item_id=item_id,
                guest_avito_id=guest,
            )
            .on_conflict_do_update(
                index_elements=["account_id", "avito_chat_id"],
                set_={"avito_chat_id": avito_chat_id},  # a no-op that returns the row
            )
            .returning(RentalsChat.id)
        )
        chat_id = await self.session.scalar(statement)
        assert chat_id is not None
        return int(chat_id)

    async def add_messages(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the messages in one statement; the ids of those new (the rest were
        stored before)."""
        if not rows:
            return []
        statement = (
            insert(RentalsMessage)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["chat_id", "avito_message_id"])
            .returning(RentalsMessage.id)
        )
        return [int(i) for i in (await self.session.scalars(statement)).all()]

    async def mark_handled(self, message_id: int, at: datetime) -> bool:
        statement = (
            update(RentalsMessage)
            .where(RentalsMessage.id == message_id, RentalsMessage.handled_at.is_(None))
            .values(handled_at=at)
            .returning(RentalsMessage.id)
        )
        return (await self.session.scalar(statement)) is not None

"""The worker's queries on guests' messages."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common import clock
from concierge.domain.rentals.models import RentalsMessage


class GuestMessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mark_handled(self, message_id: int) -> bool:
        statement = (
            update(RentalsMessage)
            .where(RentalsMessage.id == message_id, RentalsMessage.handled_at.is_(None))
            .values(handled_at=clock.utcnow())
            .returning(RentalsMessage.id)
        )
        return (await self.session.scalar(statement)) is not None

"""A small generic repository; desk repositories add named queries on top."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.db.base import Base

ModelT = TypeVar("ModelT", bound=Base)


class Repository(Generic[ModelT]):
    model: type[ModelT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id_: Any) -> ModelT | None:
        return await self.session.get(self.model, id_)

    async def add(self, obj: ModelT) -> ModelT:
        self.session.add(obj)
        await self.session.flush()
        return obj

    async def paginate(
        self, query: Select[ModelT], *, limit: int, offset: int
    ) -> tuple[Sequence[ModelT], int]:
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(query.limit(limit).offset(offset))
        return rows.all(), total or 0

    async def flush(self) -> None:
        """Send the changes made to loaded rows (the request's session commits them)."""
        await self.session.flush()

    def forget(self, obj: ModelT) -> None:
        """Stop tracking a row deleted by a statement, not through the session."""
        self.session.expunge(obj)

"""Every query of the ingest desk in api on sources (their documents: concierge.domain.ingest)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from concierge.db.repository import Repository
from concierge.domain.ingest.models import Document, Source


class SourceRepository(Repository[Source]):
    model = Source

    async def insert(self, values: dict[str, Any]) -> Source | None:
        """The new source, or None when one of that kind already has the address."""
        statement: Any = insert(Source).values(**values).on_conflict_do_nothing().returning(Source)
        return await self.session.scalar(statement)

    async def list_all(self) -> Sequence[Source]:
        return (await self.session.scalars(select(Source).order_by(Source.id))).all()

    async def document_counts(self, source_ids: Sequence[int]) -> dict[int, int]:
        rows = await self.session.execute(
            select(Document.source_id, func.count())
            .where(Document.source_id.in_(source_ids))
            .group_by(Document.source_id)
        )
        return {source_id: count for source_id, count in rows if source_id is not None}

    async def make_due(self, source: Source) -> None:
        now = await self.session.scalar(select(func.now()))
        assert now is not None
        source.next_check_at = now
        await self.session.flush()

"""Every query of the ingest desk in api: sources, and the documents they own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import distinct_on, insert

from concierge.api.ingest.models import Document, Source
from concierge.db.repository import Repository


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

    async def delete_with_documents(self, source: Source) -> None:
        """Delete the source and its documents. Copies of them in other sources stay:
        the oldest copy of each becomes the original and the others link to it."""
        heirs = await self._heirs(source.id)
        if heirs:
            for old, heir in heirs.items():
                await self.session.execute(
                    update(Document)
                    .where(Document.duplicate_of == old, Document.id != heir)
                    .values(duplicate_of=heir)
                    .execution_options(synchronize_session=False)
                )
        await self.session.execute(
            delete(Source)
            .where(Source.id == source.id)
            .execution_options(synchronize_session=False)
        )
        if heirs:  # the delete cleared their duplicate_of (ON DELETE SET NULL)
            await self.session.execute(
                update(Document)
                .where(Document.id.in_(list(heirs.values())))
                .values(duplicate_kind=None)
                .execution_options(synchronize_session=False)
            )
        self.session.expunge(source)

    async def _heirs(self, source_id: int) -> dict[int, int]:
        """For each original of the source that has copies elsewhere: its oldest copy."""
        originals = select(Document.id).where(
            Document.source_id == source_id, Document.duplicate_of.is_(None)
        )
        rows = await self.session.execute(
            select(Document.duplicate_of, Document.id)
            .where(
                Document.duplicate_of.in_(originals),
                Document.source_id.is_distinct_from(source_id),
            )
            .order_by(Document.duplicate_of, Document.published_at, Document.id)
            .ext(distinct_on(Document.duplicate_of))
        )
        return {old: heir for old, heir in rows if old is not None}

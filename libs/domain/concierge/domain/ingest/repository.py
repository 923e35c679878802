"""Document rows, for every service that writes them: inserting, replacing, and deleting
with the promote-a-copy rule.

A duplicate is stored as a row pointing at its original (``duplicate_of``). When an
original goes (its source is deleted, or a listing leaves search), each of its copies
that stays must not lose what it is a copy of, so before the delete:

- its oldest surviving copy becomes the original, and the other copies point at it;
- unless another surviving original already has that copy's exact text (the content
  hash): then every copy points at that one instead (two originals may not share a hash).

The database's ``ON DELETE SET NULL`` clears the promoted copy's link as the original
goes; its ``duplicate_kind`` is cleared right after.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Delete, delete, func, select, update
from sqlalchemy.dialects.postgresql import distinct_on, insert

from concierge.db.repository import Repository
from concierge.domain.ingest.models import Document, Source


class DocumentRepository(Repository[Document]):
    model = Document

    async def originals_by_hash(self, hashes: Sequence[str]) -> dict[str, int]:
        rows = await self.session.execute(
            select(Document.content_hash, Document.id).where(
                Document.content_hash.in_(hashes), Document.duplicate_of.is_(None)
            )
        )
        return dict(rows.all())

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Insert; returns external_id → id of the rows inserted. A row whose GUID (per
        source) or, for an original, whose content hash is taken is skipped."""
        if not rows:
            return {}
        statement = (insert(Document).values(list(rows)).on_conflict_do_nothing()).returning(
            Document.external_id, Document.id
        )
        result = await self.session.execute(statement)
        return dict(result.all())

    async def replace(self, document_id: int, values: dict[str, Any]) -> None:
        """New content in place (a changed page, an edited listing); what was linked to
        the document follows it when it becomes a copy itself."""
        new_original = values.get("duplicate_of")
        if new_original is not None:
            await self._relink(Document.duplicate_of == document_id, new_original)
        await self.session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(**values, fetched_at=func.now())
            .execution_options(synchronize_session=False)
        )

    async def touch(self, document_id: int) -> None:
        """The document is current as it is: say so (``fetched_at``)."""
        await self.session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(fetched_at=func.now())
            .execution_options(synchronize_session=False)
        )

    async def delete_documents(self, document_ids: Sequence[int]) -> None:
        """Delete these documents; their surviving copies get a new original."""
        if document_ids:
            doomed = Document.id.in_(list(document_ids))
            await self._delete_promoting(doomed, delete(Document).where(doomed))

    async def delete_source(self, source_id: int) -> None:
        """Delete the source with its documents; copies of them elsewhere get a new
        original."""
        await self._delete_promoting(
            Document.source_id == source_id, delete(Source).where(Source.id == source_id)
        )

    async def _delete_promoting(self, doomed: ColumnElement[bool], statement: Delete) -> None:
        promoted = await self._promote_copies(doomed)
        await self.session.execute(statement.execution_options(synchronize_session=False))
        if promoted:  # the delete cleared their duplicate_of (ON DELETE SET NULL)
            await self.session.execute(
                update(Document)
                .where(Document.id.in_(promoted))
                .values(duplicate_of=None, duplicate_kind=None)
                .execution_options(synchronize_session=False)
            )

    async def _promote_copies(self, doomed: ColumnElement[bool]) -> list[int]:
        """Re-point the surviving copies of the doomed originals; returns the copies that
        become originals once the doomed rows are gone."""
        doomed_ids = select(Document.id).where(doomed).scalar_subquery()
        heirs = (
            await self.session.execute(
                select(Document.duplicate_of, Document.id, Document.content_hash)
                .where(Document.duplicate_of.in_(doomed_ids), Document.id.not_in(doomed_ids))
                .order_by(Document.duplicate_of, Document.published_at, Document.id)
                .ext(distinct_on(Document.duplicate_of))
            )
        ).all()
        if not heirs:
            return []
        roots = await self._surviving_originals([hash_ for _, _, hash_ in heirs], doomed_ids)
        promoted: list[int] = []
        for old, heir, hash_ in heirs:
            root = roots.setdefault(hash_, heir)
            if root == heir:
                promoted.append(heir)
            await self._relink((Document.duplicate_of == old) & (Document.id != root), root)
        return promoted

    async def _surviving_originals(self, hashes: Sequence[str], doomed_ids: Any) -> dict[str, int]:
        rows = await self.session.execute(
            select(Document.content_hash, Document.id).where(
                Document.content_hash.in_(list(hashes)),
                Document.duplicate_of.is_(None),
                Document.id.not_in(doomed_ids),
            )
        )
        return dict(rows.all())

    async def _relink(self, which: ColumnElement[bool], original: int) -> None:
        await self.session.execute(
            update(Document)
            .where(which)
            .values(duplicate_of=original)
            .execution_options(synchronize_session=False)
        )

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

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Delete, case, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from concierge.db.repository import Repository
from concierge.domain.ingest.models import (
    Document,
    DocumentVector,
    EmbeddingModel,
    ModelState,
    Source,
)
from concierge.domain.ingest.vectors import (
    create_vector_index,
    drop_vector_index,
    vector_index_name,
)

PASSAGE_CHARS = 4_000  # the most of a document's text any model reads
MODEL_SWITCH_LOCK = 0x636F6E63  # advisory lock key: one model switch at a time
INDEX_LOCK = 0x636F6E64  # advisory lock key: one vector index statement at a time
INDEX_LOCK_RETRY_S = 0.05


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
        the document follows it when it becomes a copy itself. New text drops the
        document's vectors: the vector keeper embeds it again."""
        new_original = values.get("duplicate_of")
        if new_original is not None:
            await self._relink(Document.duplicate_of == document_id, new_original)
        if "text" in values or "title" in values:
            await VectorRepository(self.session).forget([document_id])
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


@dataclass(frozen=True)
class Coverage:
    """How many searchable documents (originals) a model's vectors cover."""

    total: int
    covered: int

    @property
    def missing(self) -> int:
        return max(self.total - self.covered, 0)

    @property
    def share(self) -> float:
        return 1.0 if self.total == 0 else min(self.covered / self.total, 1.0)


@dataclass(frozen=True)
class ToEmbed:
    id: int
    kind: str
    title: str
    text: str
    published_at: datetime
    semantic_pending: bool


class EmbeddingModelRepository(Repository[EmbeddingModel]):
    """The embedding models: which one search uses, which one is being built."""

    model = EmbeddingModel

    async def register(self, name: str, dimensions: int, spec: dict[str, Any]) -> EmbeddingModel:
        """The model's row, made (building) if new; a retired model is built again. Its
        dimension must not change: vectors of another size are another model."""
        await self.session.execute(
            insert(EmbeddingModel)
            .values(name=name, dimensions=dimensions, spec=spec, state=ModelState.BUILDING)
            .on_conflict_do_update(
                index_elements=[EmbeddingModel.name],
                set_={
                    "spec": spec,
                    "state": case(
                        (EmbeddingModel.state == ModelState.RETIRED, ModelState.BUILDING),
                        else_=EmbeddingModel.state,
                    ),
                    "retired_at": None,
                },
            )
        )
        row = await self.by_name(name)
        assert row is not None
        if row.dimensions != dimensions:
            raise ValueError(
                f"model {name} was registered with {row.dimensions} dimensions, not {dimensions}"
            )
        return row

    async def by_name(self, name: str) -> EmbeddingModel | None:
        return await self.session.scalar(
            select(EmbeddingModel)
            .where(EmbeddingModel.name == name)
            .execution_options(populate_existing=True)
        )

    async def all(self) -> list[EmbeddingModel]:
        rows = await self.session.scalars(
            select(EmbeddingModel)
            .order_by(EmbeddingModel.id)
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def active(self) -> EmbeddingModel | None:
        return await self.session.scalar(
            select(EmbeddingModel)
            .where(EmbeddingModel.state == ModelState.ACTIVE)
            .execution_options(populate_existing=True)
        )

    async def activate(self, model_id: int) -> None:
        """The model becomes the one search uses; the one it replaces retires."""
        await self.session.execute(
            update(EmbeddingModel)
            .where(EmbeddingModel.state == ModelState.ACTIVE, EmbeddingModel.id != model_id)
            .values(state=ModelState.RETIRED, retired_at=func.now())
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(EmbeddingModel)
            .where(EmbeddingModel.id == model_id)
            .values(state=ModelState.ACTIVE, activated_at=func.now(), retired_at=None)
            .execution_options(synchronize_session=False)
        )

    async def lock(self) -> None:
        """One switch at a time over every replica (for this transaction)."""
        await self.session.execute(select(func.pg_advisory_xact_lock(MODEL_SWITCH_LOCK)))

    async def coverage(self, model_id: int) -> Coverage:
        covered = (
            select(DocumentVector.document_id)
            .where(DocumentVector.model_id == model_id, DocumentVector.document_id == Document.id)
            .exists()
        )
        row = (
            await self.session.execute(
                select(func.count(), func.count().filter(covered)).where(
                    Document.duplicate_of.is_(None)
                )
            )
        ).one()
        return Coverage(total=int(row[0]), covered=int(row[1]))

    async def coverage_by_source(self, model_id: int) -> dict[int, int]:
        """Source id → its originals that have a vector of the model."""
        rows = await self.session.execute(
            select(Document.source_id, func.count())
            .join(DocumentVector, DocumentVector.document_id == Document.id)
            .where(
                DocumentVector.model_id == model_id,
                Document.duplicate_of.is_(None),
                Document.source_id.is_not(None),
            )
            .group_by(Document.source_id)
        )
        return {int(source): int(count) for source, count in rows.all() if source is not None}


class VectorRepository:
    """Documents' vectors: what is missing for a model, storing and dropping them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def missing(self, model_id: int, limit: int) -> list[ToEmbed]:
        """Originals without a vector of the model, locked for this transaction (other
        replicas take others): new documents waiting for the semantic check first, then
        the rest (a re-embed), oldest first."""
        has_vector = (
            select(DocumentVector.document_id)
            .where(DocumentVector.model_id == model_id, DocumentVector.document_id == Document.id)
            .exists()
        )
        rows = await self.session.execute(
            select(
                Document.id,
                Document.kind,
                Document.title,
                func.left(Document.text, PASSAGE_CHARS),
                Document.published_at,
                Document.semantic_pending,
            )
            .where(Document.duplicate_of.is_(None), ~has_vector)
            .order_by(Document.semantic_pending.desc(), Document.published_at, Document.id)
            .limit(limit)
            .with_for_update(of=Document, skip_locked=True)
        )
        return [ToEmbed(*row) for row in rows.all()]

    async def store(self, model_id: int, vectors: dict[int, Sequence[float]]) -> None:
        if not vectors:
            return
        statement = insert(DocumentVector).values(
            [
                {"model_id": model_id, "document_id": document_id, "embedding": list(vector)}
                for document_id, vector in vectors.items()
            ]
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[DocumentVector.model_id, DocumentVector.document_id],
                set_={"embedding": statement.excluded.embedding},
            )
        )

    async def forget(self, document_ids: Sequence[int]) -> None:
        """The documents' text changed: their vectors (every model's) no longer say it."""
        if document_ids:
            await self.session.execute(
                delete(DocumentVector).where(DocumentVector.document_id.in_(list(document_ids)))
            )

    async def purge(self, model_id: int, limit: int) -> int:
        """Delete up to ``limit`` vectors of a retired model; returns how many went."""
        doomed = (
            select(DocumentVector.document_id)
            .where(DocumentVector.model_id == model_id)
            .limit(limit)
            .scalar_subquery()
        )
        result = await self.session.execute(
            delete(DocumentVector).where(
                DocumentVector.model_id == model_id, DocumentVector.document_id.in_(doomed)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


async def build_vector_index(engine: AsyncEngine, model_id: int, dimensions: int) -> None:
    """The model's vector index, built without blocking writes. A build that crashed
    half-way leaves an invalid index that ``IF NOT EXISTS`` would keep for ever: it is
    dropped and built again (under the lock, so it is never another replica's build)."""
    async with _one_ddl_at_a_time(engine) as autocommit:
        valid = await autocommit.scalar(
            text("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)"),
            {"name": vector_index_name(model_id)},
        )
        if valid is False:
            await autocommit.exec_driver_sql(drop_vector_index(model_id))
        await autocommit.exec_driver_sql(
            create_vector_index(model_id, dimensions, concurrently=True)
        )


async def drop_model_index(engine: AsyncEngine, model_id: int) -> None:
    async with _one_ddl_at_a_time(engine) as autocommit:
        await autocommit.exec_driver_sql(drop_vector_index(model_id))


@asynccontextmanager
async def _one_ddl_at_a_time(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection outside any transaction (CREATE INDEX CONCURRENTLY cannot run in one)
    holding the index lock: two CREATE INDEX CONCURRENTLY on one table can deadlock each
    other, so one runs at a time over every replica. The lock is tried, not waited for:
    a session waiting inside a statement holds a snapshot, and the holder's build would
    wait for that snapshot in turn."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        while True:
            if await autocommit.scalar(select(func.pg_try_advisory_lock(INDEX_LOCK))):
                break
            await asyncio.sleep(INDEX_LOCK_RETRY_S)
        try:
            yield autocommit
        finally:
            await autocommit.scalar(select(func.pg_advisory_unlock(INDEX_LOCK)))

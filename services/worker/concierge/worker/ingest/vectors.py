"""The vector keeper: every original has a vector of the configured model.

One loop per worker process (any number of replicas share the work: each step locks
the documents it embeds with ``SKIP LOCKED``). A step takes up to ``vectors_batch``
originals without a vector of the configured model — new documents first, which then
get the semantic layer of de-duplication, then the rest of the corpus (a re-embed after
a change of model, a copy that became an original) — embeds them, stores the vectors
and commits. A crash loses at most the step: the documents are still without vectors
and the next step takes them. Nothing else holds the state, so a re-embed resumes where
it stopped, on any replica.

When the model is registered (at start), it is *building* unless no model is active
yet. Search keeps using the active model's vectors until the configured one covers
every original; then it switches (one transaction, under an advisory lock), and the
previous model's vectors are deleted ``vectors_retire_after_s`` later (the api's
cached query vectors of the old model expire first), with its index.

Between steps with nothing to embed the keeper waits ``vectors_idle_s``, or less: a job
that stored documents (a fetch, a listing indexed) wakes one keeper through a Redis list
(``wake_vector_keeper``), so new documents are embedded at once.

Progress: ``embedding_vectors{model,state}`` in /metrics, the admin sources API
(``GET /api/v1/admin/sources/embeddings``), and a log line every few per cent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common.clock import utcnow
from concierge.db import Database
from concierge.domain.ingest.models import EmbeddingModel, ModelState
from concierge.domain.ingest.repository import (
    Coverage,
    EmbeddingModelRepository,
    ToEmbed,
    VectorRepository,
    build_vector_index,
    drop_model_index,
)
from concierge.embedding import (
    BatchingEmbedder,
    Vectors,
    passage_text,
    semantic_duplicate_cosine,
)
from concierge.worker.embedding import EmbeddingModels
from concierge.worker.ingest.dedup import Embedded, SemanticJudge, SemanticRule
from concierge.worker.ingest.repository import IngestDocumentRepository
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

LOG_EVERY = 0.05  # a progress line every 5 % of the corpus
REPORT_EVERY_S = 5.0  # the gauges while embedding (counting costs a scan)
PURGE_BATCH = 5_000
WAKE_KEY = "vectors:wake"  # a list: one entry wakes one waiting keeper

VECTORS = Gauge(
    "embedding_vectors",
    "Originals with a vector of the model (covered) and all originals (total)",
    ["model", "state"],
)
EMBEDDED = Counter(
    "embedding_documents_total", "Documents embedded by the vector keeper", ["model"]
)
ACTIVE = Gauge("embedding_model_active", "1 for the model search uses", ["model"])


def semantic_rule(settings: WorkerSettings) -> SemanticRule:
    threshold = settings.ingest_semantic_threshold
    if threshold is None:
        threshold = semantic_duplicate_cosine(settings.embedding_spec().model_name)
    return SemanticRule(
        threshold=threshold, window=timedelta(hours=settings.ingest_semantic_window_h)
    )


async def wake_vector_keeper(redis: Redis) -> None:
    """Documents were stored: a waiting keeper embeds them now, not after its pause."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.lpush(WAKE_KEY, "1")
        pipe.ltrim(WAKE_KEY, 0, 0)
        await pipe.execute()


class _Rollback(Exception):
    """Ends a batch's transaction without committing it."""


async def _roll_back(transaction: contextlib.AsyncExitStack) -> None:
    with contextlib.suppress(_Rollback):
        await transaction.__aexit__(_Rollback, _Rollback(), None)


@dataclass
class _Batch:
    """Documents a keeper took (locked in its session's transaction), being embedded."""

    transaction: contextlib.AsyncExitStack
    session: AsyncSession
    todo: list[ToEmbed]
    embedding: asyncio.Task[Vectors]

    async def commit(self) -> None:
        await self.transaction.aclose()

    async def close(self) -> None:
        """Roll back what was not committed (the documents wait for the next step)."""
        if not self.embedding.done():
            self.embedding.cancel()
            with contextlib.suppress(BaseException):
                await self.embedding
        await _roll_back(self.transaction)


class VectorKeeper:
    def __init__(
        self,
        database: Database,
        redis: Redis,
        models: EmbeddingModels,
        settings: WorkerSettings,
    ):
        self.database = database
        self.redis = redis
        self.models = models
        self.settings = settings
        self.rule = semantic_rule(settings)
        self.batch = settings.vectors_batch
        self.model: EmbeddingModel | None = None  # the configured model's row
        self._stopping = asyncio.Event()
        self._logged_share = -1.0
        self._reported_at = 0.0

    # --- the model's row --------------------------------------------------------------

    async def register(self) -> EmbeddingModel:
        """The configured model in ``embedding_models`` with its index; active at once
        when no model is (a new installation has nothing to re-embed)."""
        embedder = await self.models.get()
        async with self.database.transaction() as session:
            repository = EmbeddingModelRepository(session)
            await repository.lock()
            model = await repository.register(
                embedder.name, embedder.dimensions, self.models.spec.stored()
            )
            if await repository.active() is None:
                await repository.activate(model.id)
                log.info("embedding model %s is active (no model was)", model.name)
            found = await repository.by_name(embedder.name)
            self.models.saw_active(await repository.active())
        assert found is not None
        model = found
        await build_vector_index(self.database.engine, model.id, model.dimensions)
        self.model = model
        if model.state == ModelState.BUILDING:
            log.info("embedding model %s: embedding the corpus for it; search uses the "
                     "active model until it covers every document", model.name)  # fmt: skip
        return model

    # --- the loop ---------------------------------------------------------------------

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                if self.model is None:
                    await self.register()
                done = await self.drain()
                if not done:
                    await self.settle()
            except Exception:  # Postgres away, the model failing: try again in a while
                log.exception("the vector keeper failed; trying again")
                done = 0
            if not done:
                await self._idle()

    def stop(self) -> None:
        self._stopping.set()

    async def _idle(self) -> None:
        """Wait ``vectors_idle_s``, until a wake (documents stored) or until stop()."""
        idle_s = self.settings.vectors_idle_s
        stopping = asyncio.ensure_future(self._stopping.wait())
        woken = asyncio.ensure_future(self.redis.blpop([WAKE_KEY], timeout=idle_s))
        try:
            await asyncio.wait({stopping, woken}, timeout=idle_s + 1, return_when="FIRST_COMPLETED")
        finally:
            stopping.cancel()
            woken.cancel()
        if woken.done() and not woken.cancelled() and isinstance(woken.exception(), RedisError):
            with contextlib.suppress(TimeoutError):  # Redis away: a plain pause
                await asyncio.wait_for(self._stopping.wait(), idle_s)

    async def step(self) -> int:
        """Embed one batch of originals without a vector; returns how many."""
        batch = await self._take(await self.models.get())
        if batch is None:
            return 0
        try:
            return await self._finish(batch)
        finally:
            await batch.close()  # after the commit: nothing

    async def drain(self) -> int:
        """Embed batches until none is left; returns how many documents. The next batch
        is taken and embedded while the previous one is judged and stored, so the model
        never waits on the database; batches are judged and stored in order (a batch's
        semantic check sees the previous one's vectors), each in its own transaction."""
        embedder = await self.models.get()
        done = 0
        current = await self._take(embedder)
        upcoming: _Batch | None = None
        try:
            while current is not None:
                await asyncio.wait([current.embedding])
                if len(current.todo) == self.batch and not self._stopping.is_set():
                    upcoming = await self._take(embedder)  # more may be waiting
                done += await self._finish(current)
                await current.close()
                current, upcoming = upcoming, None
                if time.monotonic() - self._reported_at > REPORT_EVERY_S:
                    self.report(await self.progress())
        finally:  # a failure: both batches' transactions roll back, their documents wait
            for batch in (current, upcoming):
                if batch is not None:
                    await batch.close()
        return done

    async def _take(self, embedder: BatchingEmbedder) -> _Batch | None:
        """Up to ``vectors_batch`` originals without a vector, locked in a transaction of
        their own, their embedding started."""
        assert self.model is not None
        transaction = contextlib.AsyncExitStack()
        session = await transaction.enter_async_context(self.database.transaction())
        try:
            todo = await VectorRepository(session).missing(self.model.id, self.batch)
            texts = await asyncio.to_thread(_texts, embedder, todo) if todo else []
        except BaseException:
            await _roll_back(transaction)
            raise
        if not todo:
            await _roll_back(transaction)
            return None
        embedding = asyncio.create_task(embedder.embed(texts, "passage"))
        return _Batch(transaction, session, todo, embedding)

    async def _finish(self, batch: _Batch) -> int:
        """The batch's semantic check and vectors, committed."""
        assert self.model is not None
        vectors = await batch.embedding
        await self._judge(batch.session, self.model, batch.todo, vectors)
        await VectorRepository(batch.session).store(
            self.model.id,
            {item.id: row.tolist() for item, row in zip(batch.todo, vectors, strict=True)},
        )
        await batch.commit()
        EMBEDDED.labels(self.model.name).inc(len(batch.todo))
        return len(batch.todo)

    async def _judge(
        self,
        session: AsyncSession,
        model: EmbeddingModel,
        todo: Sequence[ToEmbed],
        vectors: Vectors,
    ) -> None:
        """The semantic layer for the new documents among ``todo``."""
        documents = IngestDocumentRepository(session)
        pending = [
            Embedded(item.id, item.published_at, vectors[i])
            for i, item in enumerate(todo)
            if item.semantic_pending
        ]
        if not pending:
            return
        copies = await SemanticJudge(documents, self.rule).judge(
            model.id, model.dimensions, pending
        )
        await documents.mark_copies(copies)
        await documents.judged([item.id for item in pending])
        if copies:
            log.info("%d new document(s) are semantic copies of stored ones", len(copies))

    # --- switching and retiring -------------------------------------------------------

    async def settle(self) -> None:
        """Nothing left to embed: switch search to the configured model if it is not the
        active one, delete what retired models left after their grace period, report."""
        assert self.model is not None
        async with self.database.transaction() as session:
            repository = EmbeddingModelRepository(session)
            await repository.lock()
            coverage = await repository.coverage(self.model.id)
            active = await repository.active()
            if coverage.missing == 0 and (active is None or active.id != self.model.id):
                await repository.activate(self.model.id)
                log.info(
                    "embedding model %s covers all %d documents: search uses it now%s",
                    self.model.name,
                    coverage.total,
                    f" instead of {active.name}" if active else "",
                )
                active = await repository.active()
            models = await repository.all()
        self.models.saw_active(active)
        self.models.forget_previous(active.name if active else None)
        self.report(coverage, force=True)
        for model in models:
            ACTIVE.labels(model.name).set(1 if model.state == ModelState.ACTIVE else 0)
            if model.state == ModelState.RETIRED and self._past_grace(model):
                await self._purge(model)

    def _past_grace(self, model: EmbeddingModel) -> bool:
        retired = model.retired_at
        grace = timedelta(seconds=self.settings.vectors_retire_after_s)
        return retired is not None and utcnow() - retired >= grace

    async def _purge(self, model: EmbeddingModel) -> None:
        while True:
            async with self.database.transaction() as session:
                gone = await VectorRepository(session).purge(model.id, PURGE_BATCH)
            if gone < PURGE_BATCH:
                break
        await drop_model_index(self.database.engine, model.id)

    async def progress(self) -> Coverage:
        assert self.model is not None
        async with self.database.transaction() as session:
            return await EmbeddingModelRepository(session).coverage(self.model.id)

    def report(self, coverage: Coverage, *, force: bool = False) -> None:
        """The gauges, and a log line when the share crossed another 5 % step."""
        assert self.model is not None
        self._reported_at = time.monotonic()
        VECTORS.labels(self.model.name, "covered").set(coverage.covered)
        VECTORS.labels(self.model.name, "total").set(coverage.total)
        step = int(coverage.share / LOG_EVERY) * LOG_EVERY
        if step != self._logged_share and (coverage.missing or force):
            if coverage.missing or self._logged_share >= 0:
                log.info(
                    "embedding model %s: %d of %d documents embedded (%.0f %%)",
                    self.model.name,
                    coverage.covered,
                    coverage.total,
                    coverage.share * 100,
                )
            self._logged_share = step


def _texts(embedder: BatchingEmbedder, todo: Sequence[ToEmbed]) -> list[str]:
    """What the model reads of each document: title and body, cut to its window."""
    return [embedder.fit(passage_text(item.title, item.text)) for item in todo]

"""The vector keeper: new documents embedded and judged, a re-embed after a change of
model (batched, resumable after a crash, search on the old model until the new one covers
the corpus, then the switch), its progress, and the semantic layer at scale."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from sqlalchemy import text

from concierge.db import Database
from concierge.domain.ingest.repository import DocumentRepository
from concierge.embedding import BatchingEmbedder, EmbeddingSpec, Kind, Vectors, load_embedder
from concierge.worker.embedding import EmbeddingModels, ModelUnavailable
from concierge.worker.ingest.dedup import Embedded, SemanticJudge, SemanticRule
from concierge.worker.ingest.repository import IngestDocumentRepository
from concierge.worker.ingest.vectors import WAKE_KEY, wake_vector_keeper
from tests.quality.corpus import register_model
from tests.services.worker.ingest.conftest import Feeds, Ingest, ingest_settings, make_ingest

TEXTS = [
    "В Сочи открылась новая велодорожка вдоль набережной, четыре километра от порта.",
    "The city council approved a new night bus route between the airport and the old town.",
    "Продаю горный велосипед Trek Marlin 5, размер M, цена 52 000 рублей.",
    "Berlin's citizen offices open extra appointment slots on Saturdays in October.",
    "Туристический налог в Сочи: ставка 2% от стоимости проживания, не меньше 100 рублей.",
    "A ramen pop-up opens in Kreuzberg for three months with a short menu.",
    "Штормовое предупреждение: волны до трёх метров у побережья Сочи в выходные.",
    "StreamVale raises its standard plan to 13.99 dollars a month from October 15.",
]


@pytest.fixture(scope="module")
def minilm() -> BatchingEmbedder:
    return BatchingEmbedder(load_embedder(EmbeddingSpec(backend="sentence-transformers")))


def old_settings(feeds: Feeds, **values: Any) -> Any:
    return ingest_settings(feeds, embedding_backend="sentence-transformers", **values)


async def states(database: Database) -> dict[str, str]:
    async with database.transaction() as session:
        rows = await session.execute(text("SELECT name, state FROM embedding_models"))
        return dict(rows.all())


async def covered(database: Database, name: str) -> int:
    async with database.transaction() as session:
        return int(
            await session.scalar(
                text(
                    "SELECT count(*) FROM document_vectors v JOIN embedding_models m "
                    "ON m.id = v.model_id WHERE m.name = :name"
                ),
                {"name": name},
            )
            or 0
        )


async def corpus(ingest: Ingest, feeds: Feeds) -> int:
    """The texts as a feed, checked without embedding; returns the source."""
    items = [
        {"id": f"t{i}", "text": body, "published_at": f"2026-10-{i + 1:02d}T10:00:00Z"}
        for i, body in enumerate(TEXTS)
    ]
    source_id = await ingest.add(await feeds.new(*items))
    await ingest.check(source_id, embed=False)
    return source_id


class TestNewDocuments:
    async def test_are_searchable_at_once_and_embedded_moments_later(
        self, ingest: Ingest, feeds: Feeds
    ) -> None:
        source_id = await corpus(ingest, feeds)
        documents = await ingest.documents(source_id)
        assert len(documents) == len(TEXTS)
        assert all(d.semantic_pending for d in documents)
        assert [await ingest.vector(d.id) for d in documents] == [None] * len(TEXTS)
        assert await ingest.embed() == len(TEXTS)
        for document in await ingest.documents(source_id):
            assert not document.semantic_pending
            assert await ingest.vector(document.id) is not None
        assert await ingest.embed() == 0

    async def test_new_text_is_embedded_again(self, ingest: Ingest, feeds: Feeds) -> None:
        """An edited listing or a changed page loses its vectors and gets new ones."""
        source_id = await corpus(ingest, feeds)
        await ingest.embed()
        document = (await ingest.documents(source_id))[0]
        before = await ingest.vector(document.id)
        async with ingest.database.transaction() as session:
            await DocumentRepository(session).replace(document.id, {"text": TEXTS[1]})
        assert await ingest.vector(document.id) is None
        assert await ingest.embed() == 1
        after = await ingest.vector(document.id)
        assert before is not None
        assert after is not None
        assert not np.allclose(before, after)

    async def test_a_fresh_installation_activates_its_model_at_once(self, ingest: Ingest) -> None:
        await ingest.embed()
        assert await states(ingest.database) == {"multilingual-e5-small-q4": "active"}


class TestReembed:
    async def test_a_new_model_is_built_while_search_uses_the_old_one_then_switches(
        self,
        ingest_database: Database,
        wredis: Redis,
        feeds: Feeds,
        embedder: BatchingEmbedder,
        minilm: BatchingEmbedder,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        old = make_ingest(ingest_database, wredis, minilm, old_settings(feeds))
        source_id = await corpus(old, feeds)
        await old.embed()
        assert await states(ingest_database) == {"all-MiniLM-L6-v2": "active"}

        settings = ingest_settings(feeds, vectors_batch=3, vectors_retire_after_s=3600)
        new = make_ingest(ingest_database, wredis, embedder, settings)
        await new.keeper.register()
        assert await states(ingest_database) == {
            "all-MiniLM-L6-v2": "active",
            "multilingual-e5-small-q4": "building",
        }
        models = new.keeper.models
        models.saw_active(None)  # read the active model again
        models._active_read_at = -1e9
        assert (await models.for_queries()).name == "all-MiniLM-L6-v2"

        caplog.set_level(logging.INFO, logger="concierge.worker.ingest.vectors")
        assert await new.keeper.step() == 3  # batched
        new.keeper.report(await new.keeper.progress())
        assert _gauge("embedding_vectors", "multilingual-e5-small-q4", "covered") == 3
        assert _gauge("embedding_vectors", "multilingual-e5-small-q4", "total") == len(TEXTS)
        await new.keeper.settle()  # not covered yet: no switch
        assert (await states(ingest_database))["all-MiniLM-L6-v2"] == "active"

        await new.embed()
        assert await states(ingest_database) == {
            "all-MiniLM-L6-v2": "retired",
            "multilingual-e5-small-q4": "active",
        }
        assert (await models.for_queries()).name == "multilingual-e5-small-q4"
        assert await covered(ingest_database, "multilingual-e5-small-q4") == len(TEXTS)
        assert await covered(ingest_database, "all-MiniLM-L6-v2") == len(TEXTS)  # grace
        lines = [r.getMessage() for r in caplog.records if "documents embedded" in r.getMessage()]
        assert any("(38 %)" in line for line in lines), lines
        assert any("search uses it now instead of all-MiniLM-L6-v2" in r.getMessage()
                   for r in caplog.records)  # fmt: skip
        assert len(await old.documents(source_id)) == len(TEXTS)

    async def test_a_retired_models_vectors_and_index_go_after_the_grace(
        self,
        ingest_database: Database,
        wredis: Redis,
        feeds: Feeds,
        embedder: BatchingEmbedder,
        minilm: BatchingEmbedder,
    ) -> None:
        old = make_ingest(ingest_database, wredis, minilm, old_settings(feeds))
        await corpus(old, feeds)
        await old.embed()
        new = make_ingest(
            ingest_database, wredis, embedder, ingest_settings(feeds, vectors_retire_after_s=0)
        )
        await new.embed()
        await new.keeper.settle()
        assert await covered(ingest_database, "all-MiniLM-L6-v2") == 0
        async with ingest_database.transaction() as session:
            indexes = set(
                await session.scalars(
                    text("SELECT indexname FROM pg_indexes WHERE tablename = 'document_vectors'")
                )
            )
            old_id = await session.scalar(
                text("SELECT id FROM embedding_models WHERE name = 'all-MiniLM-L6-v2'")
            )
        assert f"ix_document_vectors_model_{old_id}" not in indexes

    @pytest.mark.parametrize(("run", "calls", "stored"), [("step", 1, 3), ("drain", 2, 6)])
    async def test_resumes_after_a_crash_without_losing_or_repeating_a_document(
        self,
        ingest_database: Database,
        wredis: Redis,
        feeds: Feeds,
        embedder: BatchingEmbedder,
        minilm: BatchingEmbedder,
        run: str,
        calls: int,
        stored: int,
    ) -> None:
        """A step at a time, or drain(), which takes the next batch while the previous one
        is judged and stored: a crash rolls back only what was not committed."""
        old = make_ingest(ingest_database, wredis, minilm, old_settings(feeds))
        await corpus(old, feeds)
        await old.embed()
        settings = ingest_settings(feeds, vectors_batch=3)
        crashing = make_ingest(
            ingest_database,
            wredis,
            CrashingAfter(embedder, calls=calls),
            settings,  # type: ignore[arg-type]
        )
        await crashing.keeper.register()
        if run == "step":
            assert await crashing.keeper.step() == 3
        with pytest.raises(RuntimeError, match="worker died"):
            await getattr(crashing.keeper, run)()
        assert await covered(ingest_database, "multilingual-e5-small-q4") == stored  # no half
        restarted = make_ingest(ingest_database, wredis, embedder, settings)
        assert await restarted.embed() == len(TEXTS) - stored
        assert await covered(ingest_database, "multilingual-e5-small-q4") == len(TEXTS)
        assert (await states(ingest_database))["multilingual-e5-small-q4"] == "active"


async def index_validity(database: Database, name: str) -> bool | None:
    """Whether the model's vector index is valid (None: there is none)."""
    async with database.transaction() as session:
        return await session.scalar(
            text(
                "SELECT i.indisvalid FROM pg_index i JOIN embedding_models m "
                "ON i.indexrelid = to_regclass('ix_document_vectors_model_' || m.id) "
                "WHERE m.name = :name"
            ),
            {"name": name},
        )


class TestVectorIndex:
    async def test_replicas_registering_at_once_build_one_valid_index(
        self, ingest_database: Database, wredis: Redis, feeds: Feeds, embedder: BatchingEmbedder
    ) -> None:
        """Two CREATE INDEX CONCURRENTLY on one table can deadlock: they take turns."""
        first = make_ingest(ingest_database, wredis, embedder, ingest_settings(feeds))
        model = await first.keeper.register()
        async with ingest_database.transaction() as session:
            await session.execute(text(f"DROP INDEX ix_document_vectors_model_{model.id}"))
        replicas = [
            make_ingest(ingest_database, wredis, embedder, ingest_settings(feeds)) for _ in range(4)
        ]
        await asyncio.gather(*(replica.keeper.register() for replica in replicas))
        assert await index_validity(ingest_database, model.name) is True

    async def test_an_index_a_crashed_build_left_invalid_is_built_again(
        self, ingest_database: Database, wredis: Redis, feeds: Feeds, embedder: BatchingEmbedder
    ) -> None:
        first = make_ingest(ingest_database, wredis, embedder, ingest_settings(feeds))
        model = await first.keeper.register()
        async with ingest_database.transaction() as session:  # what a killed build leaves
            await session.execute(
                text("UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass(:n)"),
                {"n": f"ix_document_vectors_model_{model.id}"},
            )
        assert await index_validity(ingest_database, model.name) is False
        restarted = make_ingest(ingest_database, wredis, embedder, ingest_settings(feeds))
        await restarted.keeper.register()
        assert await index_validity(ingest_database, model.name) is True


class CrashingAfter:
    """The real model until ``calls`` batches were embedded, then a dying worker."""

    def __init__(self, model: BatchingEmbedder, calls: int) -> None:
        self.model = model
        self.left = calls
        self.name = model.name
        self.dimensions = model.dimensions

    def fit(self, text: str) -> str:
        return self.model.fit(text)

    async def embed(self, texts: Sequence[str], kind: Kind = "query") -> Vectors:
        if self.left == 0:
            raise RuntimeError("the worker died")
        self.left -= 1
        return await self.model.embed(texts, kind)


class TestActiveModelUnavailable:
    async def test_queries_fail_clearly_when_the_model_search_uses_cannot_load(
        self, ingest_database: Database, feeds: Feeds, embedder: BatchingEmbedder
    ) -> None:
        async with ingest_database.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO embedding_models (name, dimensions, spec, state) VALUES "
                    "('gone-model', 384, CAST(:spec AS jsonb), 'active')"
                ),
                {"spec": '{"backend": "openai", "model": "gone-model", '
                         '"base_url": "http://127.0.0.1:9/v1"}'},
            )  # fmt: skip
        settings = ingest_settings(feeds, embedding_timeout_s=1.0)
        models = EmbeddingModels(settings, ingest_database, loaded=embedder)
        with pytest.raises(ModelUnavailable, match="gone-model"):
            await models.for_queries()
        assert (await models.get()).name == "multilingual-e5-small-q4"  # ingest goes on


class TestSemanticLayerAtScale:
    async def test_a_copy_is_found_behind_many_nearer_documents_outside_the_window(
        self, ingest_database: Database
    ) -> None:
        """Thirty documents closer to the new one than its original, all published a
        month earlier: the original (inside the 72 h window) is still found."""
        rng = np.random.default_rng(7)
        base = _unit(rng.standard_normal(8))
        published = datetime(2026, 11, 10, 12, tzinfo=UTC)
        async with ingest_database.transaction() as session:
            connection = await session.connection()
            model_id = await register_model(connection, "test-8d", 8)
            original = await _document(session, "original", published - timedelta(hours=5))
            await _vector(session, model_id, original, _unit(base + 0.12 * rng.standard_normal(8)))
            for n in range(30):
                older = await _document(session, f"old-{n}", published - timedelta(days=30))
                await _vector(session, model_id, older, _unit(base + 0.01 * rng.standard_normal(8)))
            new = await _document(session, "new", published)
        rule = SemanticRule(threshold=0.9, window=timedelta(hours=72))
        async with ingest_database.transaction() as session:
            judge = SemanticJudge(IngestDocumentRepository(session), rule)
            copies = await judge.judge(model_id, 8, [Embedded(new, published, base)])
        assert copies == {new: original}


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


async def _document(session: Any, external_id: str, published: datetime) -> int:
    return int(
        await session.scalar(
            text(
                "INSERT INTO documents (kind, external_id, text, language, published_at, "
                "content_hash, simhash, band0, band1, band2, band3) VALUES ('post', :e, :t, "
                "'en', :p, :h, 0, 0, 0, 0, 0) RETURNING id"
            ),
            {"e": external_id, "t": external_id, "h": external_id, "p": published},
        )
    )


async def _vector(session: Any, model_id: int, document_id: int, vector: np.ndarray) -> None:
    await session.execute(
        text(
            "INSERT INTO document_vectors (model_id, document_id, embedding) "
            "VALUES (:m, :d, CAST(:v AS vector))"
        ),
        {"m": model_id, "d": document_id, "v": str([float(x) for x in vector])},
    )


def _gauge(name: str, model: str, state: str) -> float:
    value = REGISTRY.get_sample_value(name, {"model": model, "state": state})
    assert value is not None
    return value


class TestWake:
    async def test_a_stored_fetch_wakes_the_idle_keeper_and_stop_ends_its_wait(
        self, ingest_database: Database, wredis: Redis, embedder: BatchingEmbedder, feeds: Feeds
    ) -> None:
        settings = ingest_settings(feeds, vectors_idle_s=30.0)  # longer than the test waits
        ingest = make_ingest(ingest_database, wredis, embedder, settings)
        await ingest.embed()  # registered; nothing left to embed
        await wredis.delete(WAKE_KEY)
        running = asyncio.create_task(ingest.keeper.run())
        try:
            await asyncio.sleep(0.5)  # the keeper found nothing and waits
            source_id = await ingest.add(await feeds.new({"title": "Night bus", "text": TEXTS[1]}))
            await ingest.check(source_id, embed=False)
            await wake_vector_keeper(wredis)  # what the fetch job does after storing
            (document,) = await ingest.documents(source_id)
            started = time.monotonic()
            while await ingest.vector(document.id) is None:
                assert time.monotonic() - started < 10, "the keeper slept through the wake"
                await asyncio.sleep(0.05)
        finally:
            ingest.keeper.stop()
            await asyncio.wait_for(running, 5)  # stop() ends the 30 s wait at once

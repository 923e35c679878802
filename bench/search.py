"""Hybrid search latency over 100k documents, and the vector arm's recall.

Starts an embedded Postgres (pgvector 0.6), migrates it, and loads generated
documents with COPY: Russian and English titles and bodies whose words are drawn
from wordfreq's frequency lists (Zipfian, like real text, so common words match
most of the table), synthetic 384-d unit vectors around topic centroids, 50
sources, three kinds, a year of dates, a few per cent duplicates. Indexes are
built after the load, as the migration defines them.

Then it runs a mix of queries (common, mid-frequency and rare words, one to four
of them, both languages) through the api's real search service, after a warm-up of 200
other queries (shared buffers as a running server's are; the server runs with the
product's settings, ``SERVER_SETTINGS``):

* embedding: the default backend's real model embedding each query (in-process);
* hybrid: the whole search including that embedding (on a thread, as the worker
  embeds in its own process while the api's full-text arm runs). The model's vector means
  nothing to synthetic documents, so the search itself uses a synthetic query
  vector drawn like the documents' (the time is the real model's either way);
* hybrid_sql, fts, vector: the search statement alone in each mode;
* filtered: hybrid with a kind, source or date filter (exact or widened index scans),
  the query embedding included; filtered_sql: the same without it;
* exact: brute-force nearest neighbours (no index), the baseline of the ratio.

Recall@10 of the vector arm (HNSW at the api's ef_search) is measured against that
exact search, over the same query vectors.

    python bench/search.py [--quick] [--documents 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from synthetic import NOW, ClusteredSpace, Language, load

from concierge.api.migrate import upgrade_database
from concierge.api.search.cursor import CursorCodec
from concierge.api.search.embeddings import QueryVector
from concierge.api.search.repository import Filters, SearchRepository
from concierge.api.search.schemas import SearchMode, SearchParams
from concierge.api.search.service import SearchConfig, SearchRuntime, SearchService
from concierge.domain.ingest.vectors import vector_expression
from concierge.embedded import EmbeddedPostgres
from concierge.embedding import Embedder, EmbeddingSpec, load_embedder

DIMENSIONS = 384
SEED = 20261120
MODEL = "synthetic"  # the documents' vectors are synthetic: a model of its own


# --- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    text: str
    kind: str  # common | mid | rare
    vector: list[float]


def make_queries(count: int, languages: list[Language], space: ClusteredSpace) -> list[Query]:
    rng = space.rng
    vectors = space.draw(count)
    queries = []
    bands = {"common": (20, 300), "mid": (300, 5000), "rare": (5000, 25000)}
    for i in range(count):
        language = languages[i % 2]
        kind = ("common", "mid", "rare")[i % 3]
        low, high = bands[kind]
        high = min(high, len(language.words))
        words = [
            language.words[int(rng.integers(low, high))] for _ in range(int(rng.integers(1, 5)))
        ]
        queries.append(Query(" ".join(words), kind, [float(x) for x in vectors[i]]))
    return queries


class BenchEmbedder:
    """Embeds each query with the real model (its time is real), then hands the search
    the query's synthetic vector (the documents' vectors are synthetic too)."""

    def __init__(self, model: Embedder, queries: list[Query]) -> None:
        self.model = model
        self.vectors = {query.text: query.vector for query in queries}
        self.times: list[float] = []

    async def embed_query(self, text: str) -> QueryVector:
        # On a thread: in the product the worker embeds, in another process, while the
        # api's full-text arm runs.
        started = time.perf_counter()
        await asyncio.to_thread(self.model.encode_queries, [text])
        self.times.append(time.perf_counter() - started)
        return QueryVector(MODEL, self.vectors[text])


class KnownVectors:
    """The queries' synthetic vectors, without the model (SQL-only figures)."""

    def __init__(self, queries: list[Query]) -> None:
        self.vectors = {query.text: query.vector for query in queries}

    async def embed_query(self, text: str) -> QueryVector:
        return QueryVector(MODEL, self.vectors[text])


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


@dataclass
class Figures:
    name: str
    times: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.times, 50)

    @property
    def p95(self) -> float:
        return percentile(self.times, 95)

    def line(self) -> str:
        return f"{self.name:14} p50={self.p50:7.2f} ms  p95={self.p95:7.2f} ms  n={len(self.times)}"


async def timed(
    engine: AsyncEngine,
    queries: list[Query],
    run: Callable[[AsyncSession, Query], Awaitable[object]],
) -> list[float]:
    times = []
    for query in queries:
        async with AsyncSession(engine) as session, session.begin():
            started = time.perf_counter()
            await run(session, query)
            times.append(time.perf_counter() - started)
    return times


_DISTANCE = f"{vector_expression(DIMENSIONS, 'v.embedding')} <=> CAST(:v AS vector({DIMENSIONS}))"
EXACT = text(
    "SELECT d.id FROM document_vectors v JOIN documents d ON d.id = v.document_id "  # noqa: S608
    "WHERE v.model_id = :model_id AND d.duplicate_of IS NULL "
    f"ORDER BY ({_DISTANCE}) + 0 LIMIT 10"
)
APPROXIMATE = text(
    "SELECT d.id FROM document_vectors v JOIN documents d ON d.id = v.document_id "  # noqa: S608
    "WHERE v.model_id = :model_id AND d.duplicate_of IS NULL "
    f"ORDER BY {_DISTANCE} LIMIT :k"
)


async def measure(
    engine: AsyncEngine, queries: list[Query], model: Embedder, warmup: int, model_id: int
) -> dict:
    config = SearchConfig()
    filters_of_nothing = Filters()
    embedder = BenchEmbedder(model, queries)
    with_model = SearchRuntime(config, CursorCodec(b"bench"), embedder)
    known = SearchRuntime(config, CursorCodec(b"bench"), KnownVectors(queries))

    def service_run(
        mode: SearchMode, model: bool = False, **filters: object
    ) -> Callable[[AsyncSession, Query], Awaitable[object]]:
        runtime = with_model if model else known

        async def run(session: AsyncSession, query: Query) -> object:
            params = SearchParams(q=query.text, mode=mode, limit=10, **filters)
            # Two sessions, as the api's search has (the arms run side by side).
            async with AsyncSession(engine) as vectors, vectors.begin():
                service = SearchService(
                    SearchRepository(session), runtime, SearchRepository(vectors)
                )
                page = await service.search(params)
            assert page.mode == mode
            return page

        return run

    async def sql_run(session: AsyncSession, query: Query) -> object:
        # The hybrid statements alone: what hybrid costs once the vector is known.
        async with AsyncSession(engine) as vectors, vectors.begin():
            service = SearchService(SearchRepository(session), known, SearchRepository(vectors))
            found = await service._find(query.text, SearchMode.HYBRID, filters_of_nothing)
            return await service._fused(found, filters_of_nothing, 11, None)

    async def exact_run(session: AsyncSession, query: Query) -> object:
        params = {"v": json.dumps(query.vector), "model_id": model_id}
        return (await session.execute(EXACT, params)).all()

    # Warm up caches and plans with queries that are not measured.
    for run in (service_run(SearchMode.HYBRID, model=True), exact_run):
        await timed(engine, queries[:warmup], run)
    measured = queries[warmup:]
    embedder.times.clear()
    hybrid = await timed(engine, measured, service_run(SearchMode.HYBRID, model=True))
    embedding = list(embedder.times)
    results = {
        "embedding": Figures("embedding", embedding),
        "hybrid": Figures("hybrid", hybrid),
        "hybrid_sql": Figures("hybrid_sql", await timed(engine, measured, sql_run)),
        "fts": Figures("fts", await timed(engine, measured, service_run(SearchMode.FTS))),
        "vector": Figures("vector", await timed(engine, measured, service_run(SearchMode.VECTOR))),
        "exact": Figures("exact", await timed(engine, measured, exact_run)),
    }
    filters: dict[str, dict[str, Any]] = {
        "kind=listing": {"kind": "listing"},
        "kind=post": {"kind": "post"},
        "source": {"source": 7},
        "since 30 days": {"since": NOW - timedelta(days=30)},
    }
    filtered: list[float] = []
    filtered_sql: list[float] = []
    per_filter = {}
    for name, extra in filters.items():
        chunk = measured[: max(30, len(measured) // 3)]
        times = await timed(engine, chunk, service_run(SearchMode.HYBRID, model=True, **extra))
        per_filter[name] = Figures(f"  {name}", times)
        filtered += times
        filtered_sql += await timed(engine, chunk, service_run(SearchMode.HYBRID, **extra))
    results["filtered"] = Figures("filtered", filtered)
    results["filtered_sql"] = Figures("filtered_sql", filtered_sql)
    by_kind = {
        kind: Figures(f"fts ({kind})", await timed(
            engine, [q for q in measured if q.kind == kind], service_run(SearchMode.FTS)))
        for kind in ("common", "mid", "rare")
    }  # fmt: skip
    recall = await vector_recall(engine, measured, config, model_id)
    return {**results, "per_filter": per_filter, "by_kind": by_kind, "recall": recall}


async def vector_recall(
    engine: AsyncEngine, queries: list[Query], config: SearchConfig, model_id: int
) -> float:
    recalls = []
    async with AsyncSession(engine) as session, session.begin():
        await SearchRepository(session).tune(ef_search=config.ef_search, iterative_scan=False)
        for query in queries:
            vector = json.dumps(query.vector)
            params = {"v": vector, "model_id": model_id}
            exact = {row.id for row in await session.execute(EXACT, params)}
            found = await session.execute(APPROXIMATE, {**params, "k": config.candidates})
            approximate = [row.id for row in found][:10]
            recalls.append(len(exact & set(approximate)) / 10)
    return statistics.fmean(recalls)


# --- run -----------------------------------------------------------------------------------


def report(results: dict, documents: int, pgvector: str) -> None:
    config = SearchConfig()
    print(
        f"{documents} documents, pgvector {pgvector}, {config.candidates} candidates per arm, "
        f"vector depth {config.vector_depth}, ef_search={config.ef_search}, full text matched "
        f"by words holding at most {config.fts_budget} documents, ranking at most "
        f"{config.fts_rank_limit}; query embeddings by {results['model']}"
    )
    for name in (
        "embedding",
        "hybrid",
        "hybrid_sql",
        "fts",
        "vector",
        "exact",
        "filtered",
        "filtered_sql",
    ):
        print(results[name].line())
    for figures in [*results["per_filter"].values(), *results["by_kind"].values()]:
        print(figures.line())
    hybrid, exact = results["hybrid"], results["exact"]
    ratio = hybrid.p95 / exact.p95 if exact.p95 else float("inf")
    print(
        f"RESULT hybrid_p95_ms={hybrid.p95:.2f} baseline={exact.p95:.2f} ratio={ratio:.2f} "
        f"recall_at_10={results['recall']:.3f} hybrid_p50_ms={hybrid.p50:.2f} "
        f"embedding_p95_ms={results['embedding'].p95:.2f} "
        f"hybrid_sql_p95_ms={results['hybrid_sql'].p95:.2f} fts_p95_ms={results['fts'].p95:.2f} "
        f"vector_p95_ms={results['vector'].p95:.2f} filtered_p95_ms={results['filtered'].p95:.2f} "
        f"filtered_sql_p95_ms={results['filtered_sql'].p95:.2f} "
        f"filtered_target_p95_ms=40 documents={documents} target_p95_ms=30 target_recall=0.95"
    )


async def bench(url: str, dsn: dict[str, str], documents: int, count: int, warmup: int) -> None:
    rng = np.random.default_rng(SEED)
    languages = [Language.load("ru"), Language.load("en")]
    space = ClusteredSpace(rng, DIMENSIONS)
    await load(dsn, documents, languages, space, model=MODEL, rng=rng)
    queries = make_queries(count + warmup, languages, space)
    # The default backend's model, as the worker runs it (queries on one thread).
    model = load_embedder(EmbeddingSpec())
    # The first call for each input length may be slow (buffers are sized per shape).
    for length in range(1, 33):
        model.encode_queries([" ".join(["warm"] * length)])
    engine = create_async_engine(url, pool_size=2)
    try:
        async with engine.connect() as connection:
            pgvector = await connection.scalar(
                text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            )
            model_id = await connection.scalar(
                text("SELECT id FROM embedding_models WHERE name = :name"), {"name": MODEL}
            )
        results = await measure(engine, queries, model, warmup, int(model_id))
        results["model"] = model.name
    finally:
        await engine.dispose()
    report(results, documents, str(pgvector))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300, help="measured queries per mode")
    args = parser.parse_args()
    documents = 20_000 if args.quick else args.documents
    count = 90 if args.quick else args.queries
    # Queries that are not measured first, so shared buffers hold what a running server's
    # hold (a fresh server reads every page from the operating system's cache).
    warmup = 40 if args.quick else 200
    with tempfile.TemporaryDirectory(prefix="ccs-", dir="/tmp") as root:
        postgres = EmbeddedPostgres(Path(root) / "pg").start()
        try:
            postgres.create_database("bench")
            url = postgres.url("bench")
            upgrade_database(url)
            dsn = {"host": str(postgres.data_dir), "user": "postgres", "database": "bench"}
            asyncio.run(bench(url, dsn, documents, count, warmup=warmup))
        finally:
            postgres.stop()
    sys.stdout.flush()


if __name__ == "__main__":
    main()

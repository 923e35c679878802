"""Hybrid search latency over 100k documents, and the vector arm's recall.

Starts an embedded Postgres (pgvector 0.6), migrates it, and loads generated
documents with COPY: Russian and English titles and bodies whose words are drawn
from wordfreq's frequency lists (Zipfian, like real text, so common words match
most of the table), synthetic 384-d unit vectors around topic centroids, 50
sources, three kinds, a year of dates, a few per cent duplicates. Indexes are
built after the load, as the migration defines them.

Then it runs a mix of queries (common, mid-frequency and rare words, one to four
of them, both languages) through the api's real search service, after a warm-up:

* embedding: the real model embedding each query (all-MiniLM-L6-v2, in-process);
* hybrid: the whole search including that embedding. The model's vector means
  nothing to synthetic documents, so the search itself uses a synthetic query
  vector drawn like the documents' (the time is the real model's either way);
* hybrid_sql, fts, vector: the search statement alone in each mode;
* filtered: hybrid with a kind, source or date filter (exact or widened index scans);
* exact: brute-force nearest neighbours (no index), the baseline of the ratio.

Recall@10 of the vector arm (HNSW at the api's ef_search) is measured against that
exact search, over the same query vectors.

    python bench/search.py [--quick] [--documents 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from concierge.api.migrate import upgrade_database
from concierge.api.search.cursor import CursorCodec
from concierge.api.search.repository import Filters, SearchRepository, VectorArm
from concierge.api.search.schemas import SearchMode, SearchParams
from concierge.api.search.service import SearchConfig, SearchRuntime, SearchService, fts_query
from concierge.embedded import EmbeddedPostgres
from concierge.embedding import Embedder

DIMENSIONS = 384
CENTROIDS = 300
SPREAD = 0.08  # per-dimension noise around a centroid (unit vectors after normalising)
VOCABULARY = 30_000
SOURCES = 50
DUPLICATE_SHARE = 0.03
KINDS = (("post", 0.90), ("article", 0.08), ("listing", 0.02))
NOW = datetime(2026, 11, 20, tzinfo=UTC)
SEED = 20261120
VECTOR_FORMAT = "[" + ",".join(["%.5f"] * DIMENSIONS) + "]"
# The indexes of 0004 built after the load (dropped before it), as the migration says.
INDEXES = {
    "ix_documents_tsv": "CREATE INDEX ix_documents_tsv ON documents USING gin (tsv)",
    "ix_documents_title_trgm": (
        "CREATE INDEX ix_documents_title_trgm ON documents USING gin (title gin_trgm_ops)"
    ),
    "ix_documents_embedding": (
        "CREATE INDEX ix_documents_embedding ON documents USING hnsw "
        "(embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
    ),
}


# --- data ---------------------------------------------------------------------------------


@dataclass
class Language:
    code: str
    words: list[str]
    probabilities: np.ndarray

    @classmethod
    def load(cls, code: str) -> Language:
        from wordfreq import top_n_list, word_frequency

        words = [w for w in top_n_list(code, VOCABULARY) if w.isalpha()]
        weights = np.array([word_frequency(w, code) for w in words], dtype=np.float64)
        return cls(code, words, weights / weights.sum())

    def __post_init__(self) -> None:
        self._cumulative = np.cumsum(self.probabilities)
        self._cumulative[-1] = 1.0

    def sample(self, rng: np.random.Generator, count: int) -> list[str]:
        picks = np.searchsorted(self._cumulative, rng.random(count), side="right")
        return [self.words[i] for i in picks]


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


class VectorSpace:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.centroids = unit(rng.standard_normal((CENTROIDS, DIMENSIONS)))

    def draw(self, count: int) -> np.ndarray:
        topics = self.rng.integers(0, CENTROIDS, size=count)
        noise = self.rng.standard_normal((count, DIMENSIONS)) * SPREAD
        return unit(self.centroids[topics] + noise).astype(np.float32)


def documents_csv(count: int, languages: list[Language], space: VectorSpace) -> io.BytesIO:
    rng = space.rng
    vectors = space.draw(count)
    kinds = rng.choice([k for k, _ in KINDS], size=count, p=[p for _, p in KINDS])
    out = io.StringIO()
    writer = csv.writer(out)
    for i in range(count):
        language = languages[0] if rng.random() < 0.6 else languages[1]
        title = " ".join(language.sample(rng, int(rng.integers(3, 10)))).capitalize()
        body = " ".join(language.sample(rng, int(rng.integers(40, 160))))
        published = NOW - timedelta(seconds=int(rng.integers(0, 365 * 86400)))
        duplicate_of = (
            int(rng.integers(1, i + 1)) if i > 10 and rng.random() < DUPLICATE_SHARE else ""
        )
        vector = VECTOR_FORMAT % tuple(vectors[i].tolist())
        bands = rng.integers(0, 65536, size=4)
        writer.writerow([
            i + 1, 1 + i % SOURCES, kinds[i], f"bench-{i}", f"https://bench.example/{i}",
            title, body, language.code, published.isoformat(), f"h{i}",
            int(rng.integers(-(2**62), 2**62)), *bands, vector, "synthetic", duplicate_of,
            "near" if duplicate_of else "",
        ])  # fmt: skip
    return io.BytesIO(out.getvalue().encode())


COLUMNS = [
    "id", "source_id", "kind", "external_id", "url", "title", "text", "language",
    "published_at", "content_hash", "simhash", "band0", "band1", "band2", "band3",
    "embedding", "embedding_model", "duplicate_of", "duplicate_kind",
]  # fmt: skip


async def load(
    dsn: dict[str, str], count: int, languages: list[Language], space: VectorSpace
) -> None:
    started = time.perf_counter()
    data = documents_csv(count, languages, space)
    generated = time.perf_counter()
    conn = await asyncpg.connect(**dsn)
    try:
        await conn.execute(
            "INSERT INTO sources (id, kind, url, title, poll_interval_s) SELECT g, 'rss', "
            "'https://bench.example/feed/' || g, 'Source ' || g, 900 FROM generate_series(1, $1) g",
            SOURCES,
        )
        for name in INDEXES:
            await conn.execute(f"DROP INDEX {name}")
        await conn.execute(
            "ALTER TABLE documents DROP CONSTRAINT fk_documents_duplicate_of_documents"
        )
        await conn.copy_to_table("documents", source=data, columns=COLUMNS, format="csv", null="")
        copied = time.perf_counter()
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("SET max_parallel_maintenance_workers = 2")
        for statement in INDEXES.values():
            await conn.execute(statement)
        await conn.execute(
            "ALTER TABLE documents ADD CONSTRAINT fk_documents_duplicate_of_documents "
            "FOREIGN KEY (duplicate_of) REFERENCES documents (id) ON DELETE SET NULL"
        )
        await conn.execute("VACUUM ANALYZE documents")
        await conn.execute("VACUUM ANALYZE sources")
    finally:
        await conn.close()
    indexed = time.perf_counter()
    print(f"loaded {count} documents: generated {generated - started:.1f} s, "
          f"COPY (with tsvectors) {copied - generated:.1f} s, "
          f"indexes {indexed - copied:.1f} s")  # fmt: skip


# --- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    text: str
    kind: str  # common | mid | rare
    vector: list[float]


def make_queries(count: int, languages: list[Language], space: VectorSpace) -> list[Query]:
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

    async def embed_query(self, text: str) -> list[float]:
        started = time.perf_counter()
        self.model.encode_queries([text])
        self.times.append(time.perf_counter() - started)
        return self.vectors[text]


class KnownVectors:
    """The queries' synthetic vectors, without the model (SQL-only figures)."""

    def __init__(self, queries: list[Query]) -> None:
        self.vectors = {query.text: query.vector for query in queries}

    async def embed_query(self, text: str) -> list[float]:
        return self.vectors[text]


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


EXACT = text(
    "SELECT id FROM documents WHERE embedding IS NOT NULL AND duplicate_of IS NULL "
    "ORDER BY (embedding <=> CAST(:v AS vector)) + 0 LIMIT 10"
)
APPROXIMATE = text(
    "SELECT id FROM documents WHERE embedding IS NOT NULL AND duplicate_of IS NULL "
    "ORDER BY embedding <=> CAST(:v AS vector) LIMIT :k"
)


async def measure(engine: AsyncEngine, queries: list[Query], model: Embedder, warmup: int) -> dict:
    config = SearchConfig()
    embedder = BenchEmbedder(model, queries)
    with_model = SearchRuntime(config, CursorCodec(b"bench"), embedder)
    known = SearchRuntime(config, CursorCodec(b"bench"), KnownVectors(queries))

    def service_run(
        mode: SearchMode, model: bool = False, **filters: object
    ) -> Callable[[AsyncSession, Query], Awaitable[object]]:
        runtime = with_model if model else known

        async def run(session: AsyncSession, query: Query) -> object:
            params = SearchParams(q=query.text, mode=mode, limit=10, **filters)
            page = await SearchService(SearchRepository(session), runtime).search(params)
            assert page.mode == mode
            return page

        return run

    async def sql_run(session: AsyncSession, query: Query) -> object:
        # The hybrid statement alone: what hybrid costs once the vector is known.
        repository = SearchRepository(session)
        await repository.tune(ef_search=config.ef_search, iterative_scan=False)
        return await repository.search(
            fts_query=fts_query(query.text),
            use_fts=True,
            vector=VectorArm(query.vector),
            filters=Filters(),
            candidates=config.candidates,
            fts_rank_limit=config.fts_rank_limit,
            limit=11,
            vector_weight=config.vector_weight(query.text),
        )

    async def exact_run(session: AsyncSession, query: Query) -> object:
        return (await session.execute(EXACT, {"v": json.dumps(query.vector)})).all()

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
    per_filter = {}
    for name, extra in filters.items():
        chunk = measured[: max(30, len(measured) // 3)]
        times = await timed(engine, chunk, service_run(SearchMode.HYBRID, **extra))
        per_filter[name] = Figures(f"  {name}", times)
        filtered += times
    results["filtered"] = Figures("filtered", filtered)
    by_kind = {
        kind: Figures(f"fts ({kind})", await timed(
            engine, [q for q in measured if q.kind == kind], service_run(SearchMode.FTS)))
        for kind in ("common", "mid", "rare")
    }  # fmt: skip
    recall = await vector_recall(engine, measured, config)
    return {**results, "per_filter": per_filter, "by_kind": by_kind, "recall": recall}


async def vector_recall(engine: AsyncEngine, queries: list[Query], config: SearchConfig) -> float:
    recalls = []
    async with AsyncSession(engine) as session, session.begin():
        await SearchRepository(session).tune(ef_search=config.ef_search, iterative_scan=False)
        for query in queries:
            vector = json.dumps(query.vector)
            exact = {row.id for row in await session.execute(EXACT, {"v": vector})}
            found = await session.execute(APPROXIMATE, {"v": vector, "k": config.candidates})
            approximate = [row.id for row in found][:10]
            recalls.append(len(exact & set(approximate)) / 10)
    return statistics.fmean(recalls)


# --- run -----------------------------------------------------------------------------------


def report(results: dict, documents: int, pgvector: str) -> None:
    config = SearchConfig()
    print(
        f"{documents} documents, pgvector {pgvector}, {config.candidates} candidates per arm, "
        f"ef_search={config.ef_search}, FTS ranks at most {config.fts_rank_limit} matches"
    )
    for name in ("embedding", "hybrid", "hybrid_sql", "fts", "vector", "exact", "filtered"):
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
        f"documents={documents} target_p95_ms=30 target_recall=0.95"
    )


async def bench(url: str, dsn: dict[str, str], documents: int, count: int, warmup: int) -> None:
    rng = np.random.default_rng(SEED)
    languages = [Language.load("ru"), Language.load("en")]
    space = VectorSpace(rng)
    await load(dsn, documents, languages, space)
    queries = make_queries(count + warmup, languages, space)
    # One thread: a single short query gains little from two, and a second OpenMP
    # thread spins on the core Postgres needs next (WORKER_EMBEDDING_THREADS=1 likewise).
    model = Embedder(threads=1)
    # The first call for each input length is slow (kernels are prepared per shape).
    for length in range(1, 33):
        model.encode_queries([" ".join(["warm"] * length)])
    engine = create_async_engine(url, pool_size=2)
    try:
        async with engine.connect() as connection:
            pgvector = await connection.scalar(
                text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            )
        results = await measure(engine, queries, model, warmup)
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
    with tempfile.TemporaryDirectory(prefix="ccs-", dir="/tmp") as root:
        postgres = EmbeddedPostgres(Path(root) / "pg").start()
        try:
            postgres.create_database("bench")
            url = postgres.url("bench")
            upgrade_database(url)
            dsn = {"host": str(postgres.data_dir), "user": "postgres", "database": "bench"}
            asyncio.run(bench(url, dsn, documents, count, warmup=20))
        finally:
            postgres.stop()
    sys.stdout.flush()


if __name__ == "__main__":
    main()

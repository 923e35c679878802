"""Synthetic documents for the search benchmark and the 100k-document quality test.

Russian and English titles and bodies whose words are drawn from wordfreq's frequency
lists (Zipfian, like real text, so common words match a large part of the table), 50
sources, three kinds, a year of dates, a few per cent near-duplicates; vectors from a
``VectorSpace`` (clustered unit vectors, or a Gaussian fitted to a real model's vectors
of such texts). ``load`` writes them with COPY (indexes built after the load, as the
migrations define them) under one embedding model, registered and active.

Imported by ``bench/search.py`` (as ``synthetic``) and by ``tests/quality`` (as
``bench.synthetic``).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import asyncpg
import numpy as np

from concierge.domain.ingest.vectors import create_vector_index, vector_index_name

VOCABULARY = 30_000
SOURCES = 50
DUPLICATE_SHARE = 0.03
KINDS = (("post", 0.90), ("article", 0.08), ("listing", 0.02))
NOW = datetime(2026, 11, 20, tzinfo=UTC)
DOCUMENT_COLUMNS = [
    "id", "source_id", "kind", "external_id", "url", "title", "text", "language",
    "published_at", "content_hash", "simhash", "band0", "band1", "band2", "band3",
    "duplicate_of", "duplicate_kind",
]  # fmt: skip
# The text indexes of the documents table, built after the load as the migrations have them.
TEXT_INDEXES = {
    "ix_documents_tsv": "CREATE INDEX ix_documents_tsv ON documents USING gin (tsv)",
    "ix_documents_title_trgm": (
        "CREATE INDEX ix_documents_title_trgm ON documents USING gin (title gin_trgm_ops)"
    ),
}


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

    def text(self, rng: np.random.Generator) -> tuple[str, str]:
        """A (title, body) pair."""
        return self.texts(rng, 1)[0]

    def texts(self, rng: np.random.Generator, count: int) -> list[tuple[str, str]]:
        """``count`` (title, body) pairs: 3–9 title words, 40–159 body words, drawn at once."""
        lengths = np.stack(
            [rng.integers(3, 10, size=count), rng.integers(40, 160, size=count)], axis=1
        )
        words = self.sample(rng, int(lengths.sum()))
        pairs, start = [], 0
        for title_words, body_words in lengths.tolist():
            title = " ".join(words[start : start + title_words]).capitalize()
            start += title_words
            pairs.append((title, " ".join(words[start : start + body_words])))
            start += body_words
        return pairs


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


class VectorSpace(Protocol):
    dimensions: int

    def draw(self, count: int) -> np.ndarray: ...


class ClusteredSpace:
    """Unit vectors around random topic centroids (the benchmark's)."""

    def __init__(
        self, rng: np.random.Generator, dimensions: int = 384, centroids: int = 300,
        spread: float = 0.08,
    ) -> None:  # fmt: skip
        self.rng = rng
        self.dimensions = dimensions
        self.spread = spread
        self.centroids = unit(rng.standard_normal((centroids, dimensions)))

    def draw(self, count: int) -> np.ndarray:
        topics = self.rng.integers(0, len(self.centroids), size=count)
        noise = self.rng.standard_normal((count, self.dimensions)) * self.spread
        return unit(self.centroids[topics] + noise).astype(np.float32)


class FittedSpace:
    """Unit vectors drawn from a Gaussian fitted to a real model's vectors of generated
    texts (their mean and covariance, shrunk a little towards the diagonal): vectors
    spread like that model's vectors of such texts, without embedding 100k of them."""

    def __init__(self, rng: np.random.Generator, samples: np.ndarray, shrink: float = 0.1):
        self.rng = rng
        self.dimensions = samples.shape[1]
        self.mean = samples.mean(axis=0)
        covariance = np.cov(samples, rowvar=False)
        covariance = (1 - shrink) * covariance + shrink * np.diag(np.diag(covariance))
        values, vectors = np.linalg.eigh(covariance)
        self.factor = vectors * np.sqrt(np.clip(values, 0, None))

    def draw(self, count: int) -> np.ndarray:
        noise = self.rng.standard_normal((count, self.dimensions))
        return unit(self.mean + noise @ self.factor.T).astype(np.float32)


class SeededSpace:
    """Unit vectors near real vectors of a model (``seeds``: its vectors of generated
    texts): each a seed picked at random, moved a little in a random direction (cosine
    ``closeness`` to its seed on average)."""

    def __init__(self, rng: np.random.Generator, seeds: np.ndarray, closeness: float = 0.95):
        self.rng = rng
        self.seeds = unit(np.asarray(seeds, dtype=np.float64))
        self.dimensions = self.seeds.shape[1]
        self.spread = float(np.sqrt(1 / closeness**2 - 1))

    def draw(self, count: int) -> np.ndarray:
        picks = self.rng.integers(0, len(self.seeds), size=count)
        noise = self.rng.standard_normal((count, self.dimensions)) / np.sqrt(self.dimensions)
        return unit(self.seeds[picks] + self.spread * noise).astype(np.float32)


def documents_csv(
    rng: np.random.Generator,
    count: int,
    languages: list[Language],
    first_id: int = 1,
    first_source: int = 1,
) -> io.BytesIO:
    kinds = rng.choice([k for k, _ in KINDS], size=count, p=[p for _, p in KINDS])
    first = rng.random(count) < 0.6
    pools = [iter(languages[0].texts(rng, int(first.sum()))),
             iter(languages[1].texts(rng, int(count - first.sum())))]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    for i in range(count):
        id_ = first_id + i
        language = languages[0] if first[i] else languages[1]
        title, body = next(pools[0] if first[i] else pools[1])
        published = NOW - timedelta(seconds=int(rng.integers(0, 365 * 86400)))
        duplicate_of = (
            int(rng.integers(first_id, id_)) if i > 10 and rng.random() < DUPLICATE_SHARE else ""
        )
        bands = rng.integers(0, 65536, size=4)
        writer.writerow([
            id_, first_source + i % SOURCES, kinds[i], f"bench-{id_}", f"https://bench.example/{id_}",
            title, body, language.code, published.isoformat(), f"h{id_}",
            int(rng.integers(-(2**62), 2**62)), *bands, duplicate_of,
            "near" if duplicate_of else "",
        ])  # fmt: skip
    return io.BytesIO(out.getvalue().encode())


def vectors_csv(model_id: int, vectors: np.ndarray, first_id: int = 1) -> io.BytesIO:
    row = '%d,%d,"[' + ",".join(["%.5f"] * vectors.shape[1]) + ']"\n'
    text = "".join(
        row % (model_id, first_id + i, *vector.tolist()) for i, vector in enumerate(vectors)
    )
    return io.BytesIO(text.encode())


async def register_model(conn: asyncpg.Connection, name: str, dimensions: int) -> int:
    """The model, active (its index is built by ``load``)."""
    return int(
        await conn.fetchval(
            "INSERT INTO embedding_models (name, dimensions, state, activated_at) "
            "VALUES ($1, $2, 'active', now()) ON CONFLICT (name) DO UPDATE SET state = 'active' "
            "RETURNING id",
            name,
            dimensions,
        )
    )


async def load(
    dsn: dict[str, str],
    count: int,
    languages: list[Language],
    space: VectorSpace,
    *,
    model: str,
    first_id: int = 1,
    first_source: int = 1,
    rng: np.random.Generator,
) -> None:
    """``count`` documents (ids from ``first_id``) with their vectors of ``model``, the
    sources they name, and every index."""
    started = time.perf_counter()
    documents = documents_csv(rng, count, languages, first_id, first_source)
    conn = await asyncpg.connect(**dsn)
    try:
        model_id = await register_model(conn, model, space.dimensions)
        vectors = vectors_csv(model_id, space.draw(count), first_id)
        generated = time.perf_counter()
        await conn.execute(
            "INSERT INTO sources (id, kind, url, title, poll_interval_s) SELECT g, 'rss', "
            "'https://bench.example/feed/' || g, 'Source ' || g, 900 "
            "FROM generate_series($1::bigint, $1::bigint + $2 - 1) g",
            first_source,
            SOURCES,
        )
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence('sources', 'id'), (SELECT max(id) FROM sources))"
        )
        for name in TEXT_INDEXES:
            await conn.execute(f"DROP INDEX IF EXISTS {name}")
        await conn.execute(f"DROP INDEX IF EXISTS {vector_index_name(model_id)}")
        await conn.execute(
            "ALTER TABLE documents DROP CONSTRAINT fk_documents_duplicate_of_documents"
        )
        await conn.copy_to_table(
            "documents", source=documents, columns=DOCUMENT_COLUMNS, format="csv", null=""
        )
        await conn.copy_to_table(
            "document_vectors", source=vectors, columns=["model_id", "document_id", "embedding"],
            format="csv",
        )  # fmt: skip
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence('documents', 'id'), "
            "(SELECT max(id) FROM documents))"
        )
        copied = time.perf_counter()
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("SET max_parallel_maintenance_workers = 2")
        for statement in TEXT_INDEXES.values():
            await conn.execute(statement)
        await conn.execute(create_vector_index(model_id, space.dimensions, concurrently=False))
        await conn.execute(
            "ALTER TABLE documents ADD CONSTRAINT fk_documents_duplicate_of_documents "
            "FOREIGN KEY (duplicate_of) REFERENCES documents (id) ON DELETE SET NULL"
        )
        await conn.execute("VACUUM ANALYZE documents")
        await conn.execute("VACUUM ANALYZE document_vectors")
        await conn.execute("VACUUM ANALYZE sources")
    finally:
        await conn.close()
    indexed = time.perf_counter()
    print(f"loaded {count} documents: generated {generated - started:.1f} s, "
          f"COPY (with tsvectors) {copied - generated:.1f} s, "
          f"indexes {indexed - copied:.1f} s")  # fmt: skip

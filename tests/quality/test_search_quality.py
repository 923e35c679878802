"""Search quality on the labelled queries: Recall@10 and nDCG@10 per mode and language.

The demo corpus is stored as ingest stores it, with passage embeddings from the
real model; every labelled query runs through the real search service in each
mode, with query embeddings from the same model (in-process: one batch, instead
of 381 calls to a worker). The table is printed at the end of the run and written
to test-artifacts/search-quality.txt. The test fails when hybrid search falls
below the floors, set a little under the values measured when they were chosen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from concierge.api.paging import CursorCodec
from concierge.api.search.embeddings import EmbeddingUnavailable
from concierge.api.search.repository import SearchRepository
from concierge.api.search.schemas import SearchMode, SearchParams
from concierge.api.search.service import SearchConfig, SearchRuntime, SearchService
from concierge.embedded import EmbeddedPostgres
from concierge.embedding import Embedder
from tests.quality.corpus import (
    CUTOFF,
    Corpus,
    LabelledQuery,
    load_corpus,
    load_queries,
    mean,
    ndcg_at,
    recall_at,
)
from tests.quality.report import publish
from tests.support.infra import migrated_database_async, worker_name

# Measured when the floors were set (all-MiniLM-L6-v2, 20 candidates per arm, the
# vector arm at half weight for Russian queries):
#            R@10 all / ru / en      nDCG@10 all / ru / en
#   hybrid   0.924 / 0.880 / 0.971   0.839 / 0.779 / 0.905
#   fts      0.858 / 0.867 / 0.848   0.822 / 0.810 / 0.835
#   vector   0.771 / 0.598 / 0.957   0.673 / 0.428 / 0.938
FLOORS = {  # (metric, language) -> the least hybrid may score
    ("recall", "all"): 0.90,
    ("recall", "ru"): 0.85,
    ("recall", "en"): 0.94,
    ("ndcg", "all"): 0.81,
    ("ndcg", "ru"): 0.75,
    ("ndcg", "en"): 0.87,
}
LANGUAGES = ("all", "ru", "en")


class InProcessEmbedder:
    """The real model's query vectors, computed once for every labelled query."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    async def embed_query(self, text: str) -> list[float]:
        if text not in self.vectors:
            raise EmbeddingUnavailable(f"not a labelled query: {text!r}")
        return self.vectors[text]


@dataclass
class Store:
    engine: AsyncEngine
    corpus: Corpus
    queries: list[LabelledQuery]
    runtime: SearchRuntime


@pytest.fixture(scope="module")
async def store(postgres: EmbeddedPostgres) -> AsyncIterator[Store]:
    url = await migrated_database_async(postgres, f"quality_{worker_name()}")
    engine = create_async_engine(url)
    embedder = Embedder()
    corpus = await load_corpus(engine, embedder)
    queries = load_queries(corpus.originals)
    vectors = embedder.encode_queries([query.text for query in queries])
    by_text = {q.text: [float(x) for x in v] for q, v in zip(queries, vectors, strict=True)}
    runtime = SearchRuntime(SearchConfig(), CursorCodec(b"quality"), InProcessEmbedder(by_text))
    yield Store(engine, corpus, queries, runtime)
    await engine.dispose()


@dataclass(frozen=True)
class Scores:
    recall: dict[str, float]
    ndcg: dict[str, float]


async def evaluate(store: Store, mode: SearchMode) -> Scores:
    per_query: list[tuple[LabelledQuery, float, float]] = []
    async with AsyncSession(store.engine) as session, session.begin():
        service = SearchService(SearchRepository(session), store.runtime)
        for query in store.queries:
            page = await service.search(SearchParams(q=query.text, mode=mode, limit=CUTOFF))
            assert page.mode == mode, page.degraded_reason
            found = [store.corpus.ids[item.id] for item in page.items]
            per_query.append((query, recall_at(found, query.grades), ndcg_at(found, query.grades)))

    def average(index: int, language: str) -> float:
        return mean(row[index] for row in per_query if language in ("all", row[0].language))

    return Scores(
        recall={language: average(1, language) for language in LANGUAGES},
        ndcg={language: average(2, language) for language in LANGUAGES},
    )


def table(store: Store, scores: dict[SearchMode, Scores]) -> list[str]:
    counts = {lang: sum(lang in ("all", q.language) for q in store.queries) for lang in LANGUAGES}
    header = "".join(f"{f'{lang} ({counts[lang]})':>16}" for lang in LANGUAGES)
    lines = [
        f"Search quality over {len(store.queries)} labelled queries "
        f"(Recall@{CUTOFF} / nDCG@{CUTOFF})",
        f"{'mode':8}{header}",
    ]
    for mode, score in scores.items():
        cells = "".join(
            f"{f'{score.recall[lang]:.3f} / {score.ndcg[lang]:.3f}':>16}" for lang in LANGUAGES
        )
        lines.append(f"{mode.value:8}{cells}")
    floors = ", ".join(f"{metric} {lang} ≥ {value}" for (metric, lang), value in FLOORS.items())
    lines.append(f"hybrid floors: {floors}")
    return lines


async def test_hybrid_search_quality(store: Store, request: pytest.FixtureRequest) -> None:
    scores = {mode: await evaluate(store, mode) for mode in SearchMode}
    publish(request.config, table(store, scores))
    hybrid = scores[SearchMode.HYBRID]
    below = {
        (metric, language): round(getattr(hybrid, metric)[language], 3)
        for (metric, language), floor in FLOORS.items()
        if getattr(hybrid, metric)[language] < floor
    }
    assert below == {}, f"hybrid search fell below its floors: {below}"
    for single in (SearchMode.FTS, SearchMode.VECTOR):
        assert hybrid.recall["all"] > scores[single].recall["all"], single

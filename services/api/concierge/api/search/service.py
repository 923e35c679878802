"""Search rules: what each mode asks of the database, degradation, paging, snippets.

``hybrid`` fuses full-text and vector candidates; ``fts`` and ``vector`` run one
arm (the quality report and the benchmark compare the three). When the query
embedding cannot be had, a search that needs it runs full text only and says so
(``mode="fts"`` with ``degraded_reason``) instead of failing.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
import time
from dataclasses import dataclass, field, replace

from concierge.api.paging import CursorCodec
from concierge.api.search.cursor import SearchCursor
from concierge.api.search.embeddings import EmbeddingUnavailable, QueryEmbedder
from concierge.api.search.repository import (
    After,
    Filters,
    ListingFilters,
    SearchRepository,
    SearchRow,
    VectorArm,
)
from concierge.api.search.rerank import Reranker
from concierge.api.search.schemas import SearchHit, SearchMode, SearchPage, SearchParams, SourceRef
from concierge.api.search.snippets import has_match, lead, plain, to_html
from concierge.contracts.search import DocumentKind
from concierge.text.language import detect_language

MAX_EF_SEARCH = 1000  # pgvector's ceiling for hnsw.ef_search
FILTER_MARGIN = 2  # a filtered index scan looks at this many times the rows it must return
ITERATIVE_SCAN_SINCE = (0, 8)  # pgvector version with hnsw.iterative_scan

# websearch syntax the user typed on purpose: "a phrase", -excluded, or
_OPERATORS = re.compile(r'"|(?:^|\s)-\w|(?:^|\s)or(?:\s|$)', re.IGNORECASE)
_TOKEN = re.compile(r"\S+")
_NEGATIONS = re.compile(r"-{2,}")
# Words the full-text arm looks for; the vector arm reads the whole query. Postgres
# refuses deep nests of negations ("tsquery stack too small"), so runs of "-" are
# one "-" and the number of words is bounded.
MAX_TERMS = 32


def fts_query(query: str) -> str:
    """The query as the full-text arm runs it (``websearch_to_tsquery`` syntax).

    Plain words are joined with ``or``: a question rarely has every one of its words
    in the answer, and ``ts_rank_cd`` still ranks documents with more of them first.
    A query that uses the syntax (quotes, ``-word``, ``or``) is taken as written.
    """
    tokens = _TOKEN.findall(_NEGATIONS.sub("-", query))[:MAX_TERMS]
    written = " ".join(tokens)
    if _OPERATORS.search(written):
        return written
    return " or ".join(tokens)


@dataclass(frozen=True)
class SearchConfig:
    candidates: int = 20
    fts_rank_limit: int = 300
    ef_search: int = 100
    exact_max: int = 2500
    rerank_depth: int = 30
    # The languages the embedding model was trained on (empty: any); in others the
    # vector arm's ranks count this much in the fusion.
    vector_languages: frozenset[str] = frozenset({"en"})
    vector_weight_other: float = 0.5

    def vector_weight(self, query: str) -> float:
        if not self.vector_languages or detect_language(query) in self.vector_languages:
            return 1.0
        return self.vector_weight_other


@dataclass
class SearchRuntime:
    """What searches share for the life of the process (app state)."""

    config: SearchConfig
    cursors: CursorCodec
    embedder: QueryEmbedder | None
    reranker: Reranker | None = None
    iterative_scan: bool | None = field(default=None)  # learnt from the database once


def fingerprint(params: SearchParams) -> str:
    """Identifies the search a cursor belongs to (not the page, not the mode used)."""
    key = [
        " ".join(params.q.split()).lower(),
        params.kind,
        params.source,
        params.since.isoformat() if params.since else None,
        params.mode,
    ]
    if params.kind == DocumentKind.LISTING:
        key += [
            params.category,
            params.city.lower() if params.city else None,
            str(params.price_min) if params.price_min is not None else None,
            str(params.price_max) if params.price_max is not None else None,
            params.currency,
        ]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:24]


def to_hit(row: SearchRow) -> SearchHit:
    if has_match(row.headline):
        snippet, snippet_html = plain(row.headline), to_html(row.headline)
    else:  # found by meaning, not by words: show how the document starts
        snippet = lead(row.lead)
        snippet_html = html.escape(snippet, quote=False)
    source = (
        SourceRef(id=row.source_id, kind=row.source_kind, title=row.source_title)
        if row.source_id is not None and row.source_kind is not None
        else None
    )
    also_in = sorted(
        (SourceRef.model_validate(item) for item in row.also_in), key=lambda ref: ref.id
    )
    return SearchHit(
        id=row.id,
        kind=row.kind,
        title=row.title,
        snippet=snippet,
        snippet_html=snippet_html,
        url=row.url,
        source=source,
        published_at=row.published_at,
        language=row.language,
        score=row.score,
        also_in=also_in,
        attributes=row.attributes,
        listing_id=row.listing_id,
        price=row.price,
        currency=row.currency,
        city=row.city,
        availability=row.availability,
    )


def filters_of(params: SearchParams) -> Filters:
    """The filters a search runs with; a listing search sees approved listings only."""
    listing = None
    if params.kind == DocumentKind.LISTING or params.has_listing_filters:
        listing = ListingFilters(
            category=params.category,
            city=params.city,
            price_min=params.price_min,
            price_max=params.price_max,
            currency=params.currency,
        )
    return Filters(kind=params.kind, source=params.source, since=params.since, listing=listing)


class SearchService:
    def __init__(self, repository: SearchRepository, runtime: SearchRuntime) -> None:
        self.repository = repository
        self.runtime = runtime
        self.config = runtime.config

    async def search(self, params: SearchParams) -> SearchPage:
        started = time.perf_counter()
        key = fingerprint(params)
        cursors = self.runtime.cursors
        cursor = SearchCursor.decode(cursors, params.cursor, key) if params.cursor else None
        # Later pages keep the first page's mode, so their scores compare.
        mode = cursor.mode if cursor else params.mode
        filters = filters_of(params)
        embedding: list[float] | None = None
        degraded: str | None = None
        if mode != SearchMode.FTS:
            try:
                embedding = await self._embed(params.q)
            except EmbeddingUnavailable as exc:
                mode, degraded = SearchMode.FTS, str(exc)
        vector, ef_search, iterative = await self._vector_plan(embedding, filters)
        await self.repository.tune(ef_search=ef_search, iterative_scan=iterative)
        after = After(cursor.score, cursor.id) if cursor else None
        if self.runtime.reranker is not None:
            rows = await self._reranked(params, mode, vector, filters, after)
        else:
            rows = await self._fused(params.q, mode, vector, filters, params.limit + 1, after)
        more = len(rows) > params.limit
        rows = rows[: params.limit]
        next_cursor = (
            SearchCursor(rows[-1].score, rows[-1].id, mode).encode(cursors, key) if more else None
        )
        return SearchPage(
            query=params.q,
            items=[to_hit(row) for row in rows],
            next_cursor=next_cursor,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            mode=mode,
            degraded_reason=degraded,
        )

    async def texts(self, ids: list[int]) -> dict[int, str]:
        """The full text of the given documents (the assistant picks passages from it)."""
        return {id_: body for id_, (_, body) in (await self.repository.texts(ids)).items()}

    async def _embed(self, query: str) -> list[float]:
        if self.runtime.embedder is None:
            raise EmbeddingUnavailable("no query embeddings are configured")
        return await self.runtime.embedder.embed_query(query)

    async def _vector_plan(
        self, embedding: list[float] | None, filters: Filters
    ) -> tuple[VectorArm | None, int, bool]:
        """(the vector arm, hnsw.ef_search, iterative scan) for this search.

        An HNSW scan filters after the fact, so a filtered search could come back
        short. When the filters leave few documents (counted, up to ``exact_max``),
        they are searched exactly. Otherwise the index: pgvector ≥ 0.8 keeps scanning
        until enough rows pass (iterative scan); older versions search wider, by as
        much as the filters are selective (the planner's estimate, at least the count).
        """
        ef_search = self.config.ef_search
        if embedding is None:
            return None, ef_search, False
        iterative = await self._iterative_scan()
        if filters.any:
            cap = self.config.exact_max + 1
            if (
                self.config.exact_max > 0
                and await self.repository.count_searchable(filters, cap) < cap
            ):
                return VectorArm(embedding, exact=True), ef_search, False
            if not iterative:
                expected, total = await self.repository.estimate_searchable(filters)
                share = min(1.0, max(expected, cap, 1.0) / total)
                wanted = math.ceil(FILTER_MARGIN * self.config.candidates / share)
                ef_search = min(MAX_EF_SEARCH, max(ef_search, wanted))
        return VectorArm(embedding), ef_search, iterative

    async def _iterative_scan(self) -> bool:
        if self.runtime.iterative_scan is None:
            version = await self.repository.pgvector_version()
            self.runtime.iterative_scan = version >= ITERATIVE_SCAN_SINCE
        return self.runtime.iterative_scan

    async def _fused(
        self,
        query: str,
        mode: SearchMode,
        vector: VectorArm | None,
        filters: Filters,
        limit: int,
        after: After | None,
    ) -> list[SearchRow]:
        return await self.repository.search(
            fts_query=fts_query(query),
            use_fts=mode != SearchMode.VECTOR,
            vector=vector if mode != SearchMode.FTS else None,
            filters=filters,
            candidates=self.config.candidates,
            fts_rank_limit=self.config.fts_rank_limit,
            limit=limit,
            after=after,
            vector_weight=self.config.vector_weight(query),
        )

    async def _reranked(
        self,
        params: SearchParams,
        mode: SearchMode,
        vector: VectorArm | None,
        filters: Filters,
        after: After | None,
    ) -> list[SearchRow]:
        """The first ``rerank_depth`` fused results in the cross-encoder's order, paged
        by (its score, id) like fused results are."""
        assert self.runtime.reranker is not None
        rows = await self._fused(
            params.q, mode, vector, filters, self.config.rerank_depth, after=None
        )
        texts = await self.repository.texts([row.id for row in rows])
        passages = [_passage(*texts[row.id]) for row in rows]
        scores = await self.runtime.reranker.score(params.q, passages)
        ranked = sorted(
            (_with_score(row, score) for row, score in zip(rows, scores, strict=True)),
            key=lambda row: (-row.score, row.id),
        )
        if after is not None:
            ranked = [
                row
                for row in ranked
                if row.score < after.score or (row.score == after.score and row.id > after.id)
            ]
        return ranked[: params.limit + 1]


def _passage(title: str, text: str, limit: int = 2000) -> str:
    return f"{title}\n{text}"[:limit].strip()


def _with_score(row: SearchRow, score: float) -> SearchRow:
    return replace(row, score=score)

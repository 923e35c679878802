"""Search rules: what each mode asks of the database, degradation, paging, snippets.

``hybrid`` fuses full-text and vector candidates; ``fts`` and ``vector`` run one
arm (the quality report and the benchmark compare the three). When the query
embedding cannot be had, a search that needs it runs full text only and says so
(``mode="fts"`` with ``degraded_reason``) instead of failing.

What counts as a match: a document that holds enough of the query's words (see
``terms``), or whose vector is at least the query model's similarity floor away, or
(short queries with a word no document holds) whose title is that close by trigrams.
Below all of them a query finds nothing, and every match can be reached by paging.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import time
from dataclasses import dataclass, field, replace

from concierge.api.paging import CursorCodec
from concierge.api.search.cursor import SearchCursor
from concierge.api.search.embeddings import EmbeddingUnavailable, QueryEmbedder, QueryVector
from concierge.api.search.repository import (
    After,
    Arms,
    Filters,
    FtsArm,
    FtsRank,
    ListingFilters,
    Nearest,
    QueryWord,
    SearchRepository,
    SearchRow,
    TypoArm,
    VectorArm,
)
from concierge.api.search.rerank import Reranker
from concierge.api.search.schemas import SearchHit, SearchMode, SearchPage, SearchParams, SourceRef
from concierge.api.search.snippets import display_title, snippet
from concierge.api.search.terms import (
    TermStatistics,
    has_syntax,
    plan_words,
    written_query,
)
from concierge.contracts.search import DocumentKind
from concierge.text.language import detect_language

MAX_EF_SEARCH = 1000  # pgvector's ceiling for hnsw.ef_search
FILTER_MARGIN = 2  # a filtered index scan looks at this many times the rows it must return
ITERATIVE_SCAN_SINCE = (0, 8)  # pgvector version with hnsw.iterative_scan
STATISTICS_TTL_S = 300.0  # word statistics are read again this often
TYPO_MAX_CHARS = 100
DOCUMENT_LANGUAGES = frozenset({"ru", "en"})  # what language detection tells documents apart by
TYPED_WORDS = 8  # query words whose typed form is looked for among the top candidates
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchConfig:
    candidates: int = 20  # each arm's top that decides the first results
    fts_rank_limit: int = 1000  # the most matches the full-text arm ranks (the newest)
    fts_budget: int = 800  # documents the match words may hold, by the statistics
    min_coverage: float = 0.5  # the share of the query's (weighted) words a match holds
    fts_weight: float = 0.5  # the full-text arm's ranks in the fusion (vectors count 1)
    vector_depth: int = 100  # nearest vectors looked at (above the floor: matches)
    ef_search: int = 100
    exact_max: int = 2500
    rerank_depth: int = 30
    typo_max_words: int = 3  # queries this short get the trigram arm for unknown words
    typo_similarity: float = 0.5  # pg_trgm word_similarity a title must reach
    # Postgres's parallel workers per statement: a search already runs its two arms side
    # by side and the query's embedding beside them; a worker more for a statement of a
    # few milliseconds costs its start and takes a core from them.
    parallel_workers: int = 0
    # above the model's floor, for a query none of whose words any document holds
    strict_margin: float = 0.01


@dataclass
class TermCache:
    stats: TermStatistics | None = None
    read_at: float = -STATISTICS_TTL_S
    languages: dict[str, bool] = field(default_factory=dict)  # any document in it


@dataclass(frozen=True)
class TextArms:
    """What a search's words give: the full-text and typo arms, and whether no word of
    the query is in any document (then the vector arm is stricter)."""

    fts: FtsArm | None
    typo: TypoArm | None
    unknown: bool


@dataclass(frozen=True)
class ScanPlan:
    """How the vector arm scans: exactly (few documents) or the index this wide."""

    exact: bool
    ef_search: int
    iterative: bool


@dataclass(frozen=True)
class VectorSide:
    """The vector arm and its nearest documents, or why there is none."""

    arm: VectorArm | None = None
    nearest: list[Nearest] = field(default_factory=list)
    unavailable: str | None = None  # the query could not be embedded


@dataclass(frozen=True)
class Found:
    """A search's arms and what each found, in the mode it ran."""

    arms: Arms
    fts_ranked: list[FtsRank]
    nearest: list[Nearest]
    mode: SearchMode
    degraded: str | None = None


@dataclass
class SearchRuntime:
    """What searches share for the life of the process (app state)."""

    config: SearchConfig
    cursors: CursorCodec
    embedder: QueryEmbedder | None
    reranker: Reranker | None = None
    iterative_scan: bool | None = field(default=None)  # learnt from the database once
    models: dict[str, int] = field(default_factory=dict)  # model name → id (never change)
    query_model: str | None = None  # the model the last query was embedded by
    terms: TermCache = field(default_factory=TermCache)


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
    title = display_title(row.title, row.marked)
    plain, marked_html = snippet(row.marked, skip=None if row.title.strip() else title)
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
        title=title,
        snippet=plain,
        snippet_html=marked_html,
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
    """Searches over ``repository``'s session. With ``vectors`` (a repository over a
    second session) the vector arm's statements run there, beside the full-text arm's;
    without, one after the other (the query is embedded meanwhile either way)."""

    def __init__(
        self,
        repository: SearchRepository,
        runtime: SearchRuntime,
        vectors: SearchRepository | None = None,
    ) -> None:
        self.repository = repository
        self.vectors = vectors
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
        found = await self._find(params.q, mode, filters)
        after = After(cursor.score, cursor.id) if cursor else None
        if self.runtime.reranker is not None:
            rows = await self._reranked(params, found, filters, after)
        else:
            rows = await self._fused(found, filters, params.limit + 1, after)
        more = len(rows) > params.limit
        rows = rows[: params.limit]
        next_cursor = (
            SearchCursor(rows[-1].score, rows[-1].id, found.mode).encode(cursors, key)
            if more
            else None
        )
        return SearchPage(
            query=params.q,
            items=[to_hit(row) for row in rows],
            next_cursor=next_cursor,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            mode=found.mode,
            degraded_reason=found.degraded,
        )

    async def texts(self, ids: list[int]) -> dict[int, str]:
        """The full text of the given documents (the assistant picks passages from it)."""
        return {id_: body for id_, (_, body) in (await self.repository.texts(ids)).items()}

    async def _embed(self, query: str) -> QueryVector:
        if self.runtime.embedder is None:
            raise EmbeddingUnavailable("no query embeddings are configured")
        return await self.runtime.embedder.embed_query(query)

    async def _find(self, query: str, mode: SearchMode, filters: Filters) -> Found:
        """Both arms. The query is embedded (by the worker) while the query's words are
        looked up and the full-text arm ranks its matches; once embedded, its nearest
        documents are found beside that (on the vectors' session) or after it."""
        embedding = asyncio.create_task(self._embed(query)) if mode != SearchMode.FTS else None
        try:
            text_arms = await self._text_arms(query, mode)
            async with asyncio.TaskGroup() as tasks:
                ranked = tasks.create_task(self._fts_ranks(text_arms.fts, filters))
                vector = (
                    tasks.create_task(
                        self._vector_side(embedding, query, filters, text_arms.unknown, ranked)
                    )
                    if embedding is not None
                    else None
                )
        except BaseExceptionGroup as group:  # the first error, as a single statement's
            raise group.exceptions[0] from None
        finally:
            if embedding is not None:
                embedding.cancel()  # when the arms failed first
        side = vector.result() if vector is not None else VectorSide()
        found = Found(
            Arms(fts=text_arms.fts, vector=side.arm, typo=text_arms.typo),
            ranked.result(),
            side.nearest,
            mode,
        )
        if side.unavailable is None:
            return found
        if mode == SearchMode.VECTOR:  # its full-text arm was never planned
            text_arms = await self._text_arms(query, SearchMode.FTS)
            arms = Arms(fts=text_arms.fts, typo=text_arms.typo)
            found = replace(found, arms=arms, fts_ranked=await self._fts_ranks(arms.fts, filters))
        return replace(found, mode=SearchMode.FTS, degraded=side.unavailable)

    async def _fts_ranks(self, fts: FtsArm | None, filters: Filters) -> list[FtsRank]:
        """The full-text arm's matches ranked (the session tuned for this search first)."""
        await self._tune(self.repository)
        if fts is None:
            return []
        return await self.repository.fts_ranks(
            arm=fts,
            filters=filters,
            candidates=self.config.candidates,
            fts_pool_limit=self.config.fts_rank_limit,
        )

    async def _tune(
        self, repository: SearchRepository, ef_search: int | None = None, iterative: bool = False
    ) -> None:
        """The session's settings for this search (see ``SearchRepository.tune``)."""
        await repository.tune(
            ef_search=ef_search or self.config.ef_search,
            iterative_scan=iterative,
            typo_similarity=self.config.typo_similarity,
            parallel_workers=self.config.parallel_workers,
        )

    async def _vector_side(
        self,
        embedding: asyncio.Task[QueryVector],
        query_text: str,
        filters: Filters,
        strict: bool,
        words_done: asyncio.Task[list[FtsRank]],
    ) -> VectorSide:
        """The vector arm and its nearest documents. How to scan (the filters' counts) is
        planned while the query is embedded, for the model the last query was embedded
        by; only the scan itself waits for the vector (and a plan for another model)."""
        repository = self.vectors
        if repository is None:  # one session: one statement at a time (tuned already)
            await asyncio.wait([words_done])
            repository = self.repository
        else:  # plans for the actual filters before the counts below, as on the other
            await self._tune(repository)
        expected = self.runtime.query_model
        expected_id = await self._model_id(repository, expected) if expected else None
        scan = await self._scan_plan(repository, filters, expected_id) if expected_id else None
        try:
            query = await embedding
        except EmbeddingUnavailable as exc:
            return VectorSide(unavailable=str(exc))
        self.runtime.query_model = query.model
        model_id = await self._model_id(repository, query.model)
        if model_id is None:  # the worker's model has no vectors here (yet)
            return VectorSide()
        if scan is None or model_id != expected_id:
            scan = await self._scan_plan(repository, filters, model_id)
        vector = self._vector_arm(query, query_text, model_id, strict=strict, exact=scan.exact)
        if (scan.ef_search, scan.iterative) != (self.config.ef_search, False):  # else tuned
            await self._tune(repository, scan.ef_search, scan.iterative)
        nearest = await repository.nearest(
            arm=vector, filters=filters, vector_depth=self.config.vector_depth
        )
        return VectorSide(vector, nearest)

    async def _text_arms(self, query: str, mode: SearchMode) -> TextArms:
        """The full-text and typo arms this search runs, and whether no word of the
        query is in any document (then the vector arm is stricter)."""
        fts: FtsArm | None = None
        typo: TypoArm | None = None
        unknown = False  # no word of the query is in any document
        if has_syntax(query):
            if mode != SearchMode.VECTOR:
                written = await self.repository.websearch(written_query(query))
                fts = (
                    FtsArm(match=written, rank=written, weight=self.config.fts_weight)
                    if written
                    else None
                )
        else:
            words = await self.repository.words(query)
            # Words no document holds, in a language the documents are in: nonsense, or
            # about what the corpus never mentions. (A question in a language no document
            # is in knows no words either: it is looked for across languages.)
            unknown = not any(word.known for word in words) and await self._language_present(
                detect_language(query)
            )
            if mode != SearchMode.VECTOR:
                fts, typo = await self._word_arms(query, words)
        return TextArms(fts, typo, unknown)

    async def _word_arms(
        self, query: str, words: list[QueryWord]
    ) -> tuple[FtsArm | None, TypoArm | None]:
        tokens = _WORDS.findall(query)
        fts = plan_words(
            words,
            await self._term_statistics(),
            budget=self.config.fts_budget,
            min_coverage=self.config.min_coverage,
            weight=self.config.fts_weight,
        )
        if fts is not None:
            typed = list(dict.fromkeys(token.lower() for token in tokens))[:TYPED_WORDS]
            fts = replace(fts, typed=typed)
        typo = None
        if (
            words
            and any(not word.known for word in words)
            and len(tokens) <= self.config.typo_max_words
        ):
            typo = TypoArm(" ".join(tokens)[:TYPO_MAX_CHARS])
        return fts, typo

    async def _term_statistics(self) -> TermStatistics:
        cache = self.runtime.terms
        if cache.stats is None or time.monotonic() - cache.read_at > STATISTICS_TTL_S:
            cache.stats = TermStatistics(await self.repository.word_statistics())
            cache.read_at = time.monotonic()
        return cache.stats

    async def _language_present(self, language: str) -> bool:
        cache = self.runtime.terms
        if language not in cache.languages or time.monotonic() - cache.read_at > STATISTICS_TTL_S:
            cache.languages[language] = await self.repository.has_language(language)
        return cache.languages[language]

    async def _model_id(self, repository: SearchRepository, name: str) -> int | None:
        known = self.runtime.models.get(name)
        if known is None:
            found = await repository.model_id(name)
            if found is None:
                return None
            self.runtime.models[name] = known = found
        return known

    def _vector_arm(
        self, query: QueryVector, query_text: str, model_id: int, *, strict: bool, exact: bool
    ) -> VectorArm:
        """The query's vector with its floors. A query none of whose words any document
        holds (nonsense, or about something the corpus never mentions) must be closer
        still: ``strict_margin`` above the floor, in any language."""
        floor, across = query.similarity_floor, query.cross_language_floor
        language = detect_language(query_text)
        if language not in DOCUMENT_LANGUAGES:  # no language to be across from
            across = floor
        if strict and floor is not None:
            floor = across = floor + self.config.strict_margin
        return VectorArm(
            query.vector,
            model_id=model_id,
            dimensions=query.dimensions,
            max_distance=2.0 if floor is None else 1.0 - floor,
            max_distance_across=2.0 if across is None else 1.0 - across,
            language=language,
            exact=exact,
        )

    async def _scan_plan(
        self, repository: SearchRepository, filters: Filters, model_id: int
    ) -> ScanPlan:
        """How the vector arm scans the model's vectors.

        An HNSW scan filters after the fact, so a filtered search could come back
        short. When the filters leave few documents (at most ``exact_max``: see ``_few``),
        they are searched exactly. Otherwise the index: pgvector ≥ 0.8 keeps scanning
        until enough rows pass (iterative scan); older versions search wider, by as
        much as the filters are selective (the planner's estimate, at least the count).
        The index is searched at least as wide as the arm's depth.
        """
        ef_search = max(self.config.ef_search, self.config.vector_depth)
        iterative = await self._iterative_scan(repository)
        if filters.any:
            expected, total = await repository.estimate_searchable(filters)
            if await self._few(repository, filters, model_id, expected):
                return ScanPlan(exact=True, ef_search=ef_search, iterative=False)
            if not iterative:
                cap = self.config.exact_max + 1
                share = min(1.0, max(expected, cap, 1.0) / total)
                # Widened for the top candidates (deeper pages of a filtered search may
                # come short on pgvector < 0.8; 0.8's iterative scan has no such limit).
                wanted = math.ceil(FILTER_MARGIN * self.config.candidates / share)
                ef_search = max(ef_search, wanted)
        return ScanPlan(exact=False, ef_search=min(ef_search, MAX_EF_SEARCH), iterative=iterative)

    async def _few(
        self, repository: SearchRepository, filters: Filters, model_id: int, expected: float
    ) -> bool:
        """Whether the filters leave at most ``exact_max`` documents (then they are searched
        exactly). The planner's estimate decides when it is at most that or more than
        twice that; near it, and for listing filters (an estimate through ``EXISTS`` is
        rough), they are counted. A count costs as much as an exact scan of what it counts
        (~11 ms for 2,000 documents), so it is spared where the estimate is clear."""
        most = self.config.exact_max
        if most <= 0:
            return False
        if filters.listing is None and expected <= most:
            return True
        if filters.listing is None and expected > 2 * most:
            return False
        return await repository.count_searchable(filters, model_id, most + 1) <= most

    async def _iterative_scan(self, repository: SearchRepository) -> bool:
        if self.runtime.iterative_scan is None:
            version = await repository.pgvector_version()
            self.runtime.iterative_scan = version >= ITERATIVE_SCAN_SINCE
        return self.runtime.iterative_scan

    async def _fused(
        self, found: Found, filters: Filters, limit: int, after: After | None
    ) -> list[SearchRow]:
        return await self.repository.search(
            arms=found.arms,
            filters=filters,
            candidates=self.config.candidates,
            limit=limit,
            after=after,
            fts_ranked=found.fts_ranked,
            nearest=found.nearest,
        )

    async def _reranked(
        self, params: SearchParams, found: Found, filters: Filters, after: After | None
    ) -> list[SearchRow]:
        """The first ``rerank_depth`` fused results in the cross-encoder's order, paged
        by (its score, id) like fused results are."""
        assert self.runtime.reranker is not None
        rows = await self._fused(found, filters, self.config.rerank_depth, None)
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

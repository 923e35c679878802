"""Every query of the search desk.

Three statements find, fuse and page the results. The first ranks the full-text arm
(``fts_ranks``; it needs no query vector, so it runs while the query is embedded); the
second finds the vector arm's nearest documents (``nearest``, once the query is embedded:
on a connection of its own it runs while the full-text arm still does); the third
(``search``) takes both, runs the typo arm, fuses and pages:

* the full-text arm matches originals with the *match* query (the query's rarest
  words, as many as fit a budget of documents, or all of them together: see the
  service), at most ``fts_pool_limit`` of them (the newest when more match), keeps
  those that hold enough of the query's words (``coverage``: each word weighted by its
  rarity) and ranks them with ``ts_rank_cd`` over every word of the query;
* the vector arm takes up to ``vector_depth`` nearest originals among the vectors of
  the query's own model (its partial HNSW index, or an exact scan when filters leave
  few documents: an approximate index filters after its scan and could return too
  few), and keeps those at least as similar as the model's floor;
* the typo arm (short queries with a word no document holds) takes the titles most
  like the query by trigrams (``pg_trgm``'s ``<%`` through its GIN index);
* reciprocal rank fusion scores each document ``Σ 1/(60 + rank)`` over the arms, a
  rank past ``candidates`` counting a hundredth (the top of each arm decides the first
  results, as before; the rest still come, in order, on later pages);
* the page is the next ``limit`` results after the cursor in (score desc, id) order,
  with the text its snippet is cut from (every match marked by ``ts_headline``), the
  source and the sources of duplicates.

Only originals are searched (``duplicate_of IS NULL``); their duplicates' sources
come back as ``also_in``. Listing filters (category, city, price, currency) are an
``EXISTS`` on ``listings`` (``document_id``) inside every arm, so they narrow the
candidates rather than the page; a page row that is a listing carries its id, price,
currency and city, and its snippet comes from its description. SQL text is assembled
only from the constant fragments below and integers; every value is a bound parameter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.search.snippets import HEADLINE_OPTIONS, START, STOP
from concierge.domain.ingest.vectors import vector_expression

RRF_K = 60  # the usual constant of reciprocal rank fusion
DEEP_WEIGHT = 0.01  # what a rank past the candidates counts in the fusion
TYPED_BONUS = 0.25 / (RRF_K + 1)  # a quarter of a first rank
# ts_rank_cd normalisation: divide by 1 + log(document length), so a long post that
# mentions a word once does not beat a short one about it.
FTS_NORMALIZATION = 1
MATCH = "CAST(:fts_match AS tsquery)"
RANK = "CAST(:fts_rank AS tsquery)"
SNIPPET_CHARS = 3_000  # of a document's text, marked for its snippet


@dataclass(frozen=True)
class ListingFilters:
    """What only listings have, read from ``listings`` (joined on ``document_id``). Any of
    them, even none, restricts the search to approved listings."""

    category: str | None = None
    city: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    currency: str | None = None

    def sql(self) -> str:
        parts = [
            " AND EXISTS (SELECT 1 FROM listings l WHERE l.document_id = d.id"
            " AND l.status = 'approved'"
        ]
        if self.category is not None:
            parts.append(" AND l.category = :category")
        if self.city is not None:
            parts.append(" AND lower(l.city) = lower(:city)")
        if self.price_min is not None:
            parts.append(" AND l.price >= :price_min")
        if self.price_max is not None:
            parts.append(" AND l.price <= :price_max")
        if self.currency is not None:
            parts.append(" AND l.currency = :currency")
        return "".join(parts) + ")"

    def params(self) -> dict[str, Any]:
        values = {
            "category": self.category,
            "city": self.city,
            "price_min": self.price_min,
            "price_max": self.price_max,
            "currency": self.currency,
        }
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    source: int | None = None
    since: datetime | None = None
    listing: ListingFilters | None = None  # approved listings only, and these filters

    @property
    def any(self) -> bool:
        return (
            self.kind is not None
            or self.source is not None
            or self.since is not None
            or self.listing is not None
        )

    def sql(self) -> str:
        parts = []
        if self.kind is not None:
            parts.append(" AND d.kind = :kind")
        if self.source is not None:
            parts.append(" AND d.source_id = :source")
        if self.since is not None:
            parts.append(" AND d.published_at >= :since")
        if self.listing is not None:
            parts.append(self.listing.sql())
        return "".join(parts)

    def params(self) -> dict[str, Any]:
        values = {"kind": self.kind, "source": self.source, "since": self.since}
        found = {name: value for name, value in values.items() if value is not None}
        if self.listing is not None:
            found.update(self.listing.params())
        return found


@dataclass(frozen=True)
class FtsArm:
    """The full-text arm: tsqueries of lexemes already normalised (cast, not parsed
    again by a configuration), and each word's weight in the coverage."""

    match: str
    rank: str
    words: Sequence[str] = ()  # each a quoted lexeme, a tsquery
    weights: Sequence[float] = ()  # summing to 1; none: every match counts
    min_coverage: float = 0.0
    weight: float = 1.0  # of its ranks in the fusion (the vector arm's count 1)
    typed: Sequence[str] = ()  # the query's words as typed (letters and digits only)


@dataclass(frozen=True)
class VectorArm:
    embedding: Sequence[float]
    model_id: int
    dimensions: int
    max_distance: float = 2.0  # cosine distance past which a neighbour is no match
    # …and for a document in another language than the query (similarities across
    # languages run lower for the same relevance)
    max_distance_across: float = 2.0
    language: str = ""  # the query's language
    exact: bool = False  # scan the filtered rows instead of asking the HNSW index


@dataclass(frozen=True)
class TypoArm:
    text: str  # the query as typed (short), compared with titles by trigrams


@dataclass(frozen=True)
class Arms:
    fts: FtsArm | None = None
    vector: VectorArm | None = None
    typo: TypoArm | None = None

    @property
    def any(self) -> bool:
        return self.fts is not None or self.vector is not None or self.typo is not None


@dataclass(frozen=True)
class After:
    score: float
    id: int


@dataclass(frozen=True)
class SearchRow:
    id: int
    kind: str
    title: str
    url: str | None
    published_at: datetime
    language: str
    attributes: dict[str, Any]
    score: float
    source_id: int | None
    source_kind: str | None
    source_title: str | None
    marked: str  # the snippet's source text, every match between START and STOP
    also_in: list[dict[str, Any]]
    listing_id: int | None = None
    price: Decimal | None = None
    currency: str | None = None
    city: str | None = None
    availability: str | None = None


@dataclass(frozen=True)
class FtsRank:
    """A document the full-text arm matched, its rank in the arm, and whether it holds
    every word of the query as typed."""

    id: int
    rank: int
    typed: bool


@dataclass(frozen=True)
class Nearest:
    """A document the vector arm found, its cosine distance and its language."""

    id: int
    language: str
    distance: float


@dataclass(frozen=True)
class QueryWord:
    lexeme: str
    known: bool  # some document holds it


def _fts_arm(filters: str, arm: FtsArm) -> str:
    coverage = (
        "(SELECT coalesce(sum(w.weight), 0) FROM unnest(CAST(:fts_words AS text[]), "
        "CAST(:fts_weights AS float8[])) AS w(word, weight) "
        "WHERE pool.tsv @@ CAST(w.word AS tsquery))"
        if arm.words
        else "1.0"
    )
    ranked = f"""
    fts_pool AS (
        SELECT d.id, d.tsv FROM documents d
        WHERE d.tsv @@ {MATCH} AND d.duplicate_of IS NULL{filters}
        ORDER BY d.published_at DESC
        LIMIT :fts_pool_limit
    ),
    fts_ranked AS (
        SELECT id, row_number() OVER (ORDER BY score DESC, id) AS r FROM (
            SELECT pool.id, ts_rank_cd(pool.tsv, {RANK}, {FTS_NORMALIZATION}) AS score,
                   {coverage} AS coverage
            FROM fts_pool pool
        ) scored
        WHERE coverage >= :min_coverage
    ),"""  # noqa: S608 (constant fragments; every value is bound)
    return ranked + (_FTS_TYPED if arm.typed else _FTS_PLAIN)


_FTS_PLAIN = """
    fts AS (SELECT id, r AS rank, false AS typed FROM fts_ranked)"""
# Within the top candidates, a document holding the words in the form they were typed
# ("велосипед", not "велосипеда"; hashtags aside) comes first, and holding all of them
# adds TYPED_BONUS to its fused score (a query's own words break the vectors' near-ties).
_FTS_TYPED = r"""
    fts AS (
        SELECT ranked.id, row_number() OVER (
            ORDER BY ranked.r > :candidates, coalesce(typed.words, 0) DESC, ranked.r
        ) AS rank, coalesce(typed.words, 0) = cardinality(CAST(:fts_typed AS text[])) AS typed
        FROM fts_ranked ranked
        LEFT JOIN LATERAL (
            SELECT count(*) AS words
            FROM documents d, unnest(CAST(:fts_typed AS text[])) AS t(word)
            WHERE d.id = ranked.id AND ranked.r <= :candidates
              AND regexp_replace(lower(d.title || ' ' || left(d.text, 2000)), '#\w+', ' ', 'g')
                  ~ ('\m' || t.word || '\M')
        ) typed ON true
    )"""


def _nearest_statement(filters: str, arm: VectorArm) -> str:
    """The vector arm's nearest originals among the vectors of the query's model, with
    their distance and language (the floor is applied when the arms are fused)."""
    distance = f"({vector_expression(arm.dimensions, 'v.embedding')} <=> :embedding)"
    # "+ 0" turns the distance into an expression the index cannot serve: an exact scan.
    order = f"{distance} + 0" if arm.exact else distance
    return f"""
    SELECT d.id, d.language, {distance} AS distance
    FROM document_vectors v JOIN documents d ON d.id = v.document_id
    WHERE v.model_id = :model_id AND d.duplicate_of IS NULL{filters}
    ORDER BY {order}
    LIMIT :vector_depth"""  # noqa: S608 (constant fragments and an int; every value is bound)


def _vector_arm(with_fts: bool) -> str:
    # Below the floor a neighbour is no match of its own, but it still ranks a document
    # the full-text arm matched.
    text_matched = " OR id IN (SELECT id FROM fts)" if with_fts else ""
    return f"""
    vec AS (
        SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM (
            SELECT * FROM unnest(
                CAST(:vec_ids AS bigint[]), CAST(:vec_languages AS text[]),
                CAST(:vec_distances AS float8[])
            ) AS found(id, language, distance)
        ) nearest
        WHERE distance <= CASE WHEN language = :query_language
                               THEN CAST(:max_distance AS float8)
                               ELSE CAST(:max_distance_across AS float8) END{text_matched}
    )"""  # noqa: S608 (constant fragments; every value is bound)


def _typo_arm(filters: str) -> str:
    return f"""
    typo AS (
        SELECT id, row_number() OVER (ORDER BY similarity DESC, id) AS rank FROM (
            SELECT d.id, word_similarity(:typo_text, d.title) AS similarity FROM documents d
            WHERE :typo_text <% d.title AND d.duplicate_of IS NULL{filters}
            ORDER BY similarity DESC, d.id
            LIMIT :candidates
        ) alike
    )"""  # noqa: S608 (constant fragments; every value is bound)


# A listing's snippet comes from its description: the city, category and price its
# document also holds (so they are found) are shown by the hit's own fields.
_SNIPPET_SOURCE = (
    f"left(CASE WHEN l.id IS NULL THEN d.text ELSE l.description END, {SNIPPET_CHARS})"
)

_PAGE = f"""
    fused AS (
        SELECT id, sum(
            weight * CASE WHEN rank <= :candidates THEN CAST(1 AS float8)
                          ELSE CAST({DEEP_WEIGHT} AS float8) END / ({RRF_K} + rank)
        ) + CASE WHEN bool_or(typed) THEN CAST({TYPED_BONUS} AS float8) ELSE 0 END AS score
        FROM ({{arms}}) arms
        GROUP BY id
    ),
    page AS (
        SELECT id, score FROM fused{{after}}
        ORDER BY score DESC, id
        LIMIT :limit
    )
SELECT d.id, d.kind, d.title, d.url, d.published_at, d.language, d.attributes, page.score,
       s.id AS source_id, s.kind AS source_kind, s.title AS source_title,
       {{marked}} AS marked,
       coalesce(also.sources, '[]'::jsonb) AS also_in,
       l.id AS listing_id, l.price, l.currency, l.city, l.availability
FROM page
JOIN documents d ON d.id = page.id
LEFT JOIN sources s ON s.id = d.source_id
LEFT JOIN listings l ON l.document_id = d.id
LEFT JOIN LATERAL (
    SELECT jsonb_agg(DISTINCT jsonb_build_object('id', ds.id, 'kind', ds.kind, 'title', ds.title))
           AS sources
    FROM documents dup JOIN sources ds ON ds.id = dup.source_id
    WHERE dup.duplicate_of = d.id AND dup.source_id IS DISTINCT FROM d.source_id
) also ON true
ORDER BY page.score DESC, page.id
"""  # noqa: S608 (constant fragments; every value is bound)

_AFTER = " WHERE score < :after_score OR (score = :after_score AND id > :after_id)"
# Every match of the rank query marked (the whole text, no fragments): the service cuts
# the snippet at sentence boundaries around the best of them.
_MARKED = (
    f"ts_headline('russian', translate({_SNIPPET_SOURCE}, :marks, ''), {RANK}, :headline_options)"
)
_UNMARKED = f"translate({_SNIPPET_SOURCE}, :marks, '')"


def fts_statement(filters: Filters, arm: FtsArm) -> str:
    return f"WITH{_fts_arm(filters.sql(), arm)}\nSELECT id, rank, typed FROM fts"


# The full-text arm's ranks, as fts_ranks found them.
_FTS_RANKED = """
    fts AS (
        SELECT * FROM unnest(CAST(:fts_ids AS bigint[]), CAST(:fts_ranks AS bigint[]),
                             CAST(:fts_typed_flags AS boolean[])) AS ranked(id, rank, typed)
    )"""


def search_statement(filters: Filters, arms: Arms, after: bool) -> str:
    ctes, selects = [], []
    if arms.fts is not None:
        ctes.append(_FTS_RANKED)
        selects.append("SELECT id, rank, CAST(:fts_weight AS float8) AS weight, typed FROM fts")
    if arms.vector is not None:
        ctes.append(_vector_arm(arms.fts is not None))
        selects.append("SELECT id, rank, CAST(1 AS float8) AS weight, false AS typed FROM vec")
    if arms.typo is not None:
        ctes.append(_typo_arm(filters.sql()))
        selects.append("SELECT id, rank, CAST(1 AS float8) AS weight, false AS typed FROM typo")
    page = _PAGE.format(
        arms=" UNION ALL ".join(selects),
        after=_AFTER if after else "",
        marked=_MARKED if arms.fts is not None else _UNMARKED,
    )
    return "WITH" + ",".join([*ctes, page])


_STATISTICS = text(
    "SELECT CAST(CAST(s.most_common_elems AS text) AS text[]) AS words, "
    "s.most_common_elem_freqs AS frequencies, "
    "(SELECT reltuples FROM pg_class WHERE oid = 'documents'::regclass) AS documents "
    "FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = 'documents' "
    "AND s.attname = 'tsv'"
)
# The query's words as full-text search sees them (stemmed, stop words gone), in the
# query's order, each with whether any document holds it (a GIN probe that stops at the
# first). A lexeme with a backslash (never a word) is left out.
_WORDS = text(
    """
    SELECT w.lexeme,
           EXISTS (SELECT 1 FROM documents d
                   WHERE d.tsv @@ CAST(quote_literal(w.lexeme) AS tsquery)) AS known
    FROM unnest(to_tsvector('russian', :query)) AS w
    WHERE strpos(w.lexeme, chr(92)) = 0
    ORDER BY w.positions[1]
    """
)


@dataclass(frozen=True)
class WordStatistics:
    """The planner's statistics of ``documents.tsv``: the most common lexemes with the
    share of documents holding each, the smallest share listed, and the table's size."""

    shares: dict[str, float]
    least_share: float
    documents: float


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pgvector_version(self) -> tuple[int, ...]:
        version = await self.session.scalar(
            text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        )
        return tuple(int(part) for part in str(version or "0").split(".") if part.isdigit())

    async def tune(
        self,
        *,
        ef_search: int,
        iterative_scan: bool,
        typo_similarity: float = 0.6,
        parallel_workers: int = 0,
    ) -> None:
        """Settings for this transaction only: the HNSW search breadth; plans made for
        the actual words and model (a generic plan cannot tell a rare word from a common
        one, nor use a model's partial index); with pgvector ≥ 0.8, scans that go on
        until the filters are met; how alike a title must be for the typo arm; how many
        parallel workers one statement may start."""
        settings = {
            "hnsw.ef_search": str(ef_search),
            "plan_cache_mode": "force_custom_plan",
            "pg_trgm.word_similarity_threshold": f"{typo_similarity:g}",
            "max_parallel_workers_per_gather": str(parallel_workers),
        }
        if iterative_scan:
            settings["hnsw.iterative_scan"] = "relaxed_order"
        calls = ", ".join(f"set_config(:name{i}, :value{i}, true)" for i in range(len(settings)))
        params: dict[str, str] = {}
        for i, (name, value) in enumerate(settings.items()):
            params[f"name{i}"], params[f"value{i}"] = name, value
        await self.session.execute(text(f"SELECT {calls}"), params)

    async def words(self, query: str) -> list[QueryWord]:
        rows = await self.session.execute(_WORDS, {"query": query})
        return [QueryWord(row.lexeme, bool(row.known)) for row in rows]

    async def word_statistics(self) -> WordStatistics:
        row = (await self.session.execute(_STATISTICS)).first()
        if row is None or not row.words or not row.frequencies:
            total = await self.session.scalar(
                text("SELECT reltuples FROM pg_class WHERE oid = 'documents'::regclass")
            )
            return WordStatistics({}, 0.0, max(float(total or 0), 0.0))
        words, shares = list(row.words), [float(x) for x in row.frequencies]
        return WordStatistics(
            dict(zip(words, shares[: len(words)], strict=True)),
            least_share=shares[len(words)] if len(shares) > len(words) else min(shares),
            documents=max(float(row.documents or 0), 0.0),
        )

    async def has_language(self, language: str) -> bool:
        """Whether any searchable document is in this language."""
        found = await self.session.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM documents WHERE language = :language "
                "AND duplicate_of IS NULL)"
            ),
            {"language": language},
        )
        return bool(found)

    async def model_id(self, name: str) -> int | None:
        """The id of the embedding model of this name (whose vectors a query may meet)."""
        found = await self.session.scalar(
            text("SELECT id FROM embedding_models WHERE name = :name"), {"name": name}
        )
        return None if found is None else int(found)

    async def count_searchable(self, filters: Filters, model_id: int, cap: int) -> int:
        """How many originals with a vector of the model the filters leave, counting no
        further than cap."""
        statement = text(
            "SELECT count(*) FROM (SELECT 1 FROM document_vectors v JOIN documents d "  # noqa: S608
            "ON d.id = v.document_id WHERE v.model_id = :model_id "
            f"AND d.duplicate_of IS NULL{filters.sql()} LIMIT :cap) counted"
        )
        params = {"cap": cap, "model_id": model_id, **filters.params()}
        return int(await self.session.scalar(statement, params) or 0)

    async def estimate_searchable(self, filters: Filters) -> tuple[float, float]:
        """(the planner's estimate of the originals the filters leave, the rows in the
        table): no scan, only statistics."""
        plan = await self.session.scalar(
            text(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM documents d WHERE "  # noqa: S608
                f"d.duplicate_of IS NULL{filters.sql()}"
            ),
            filters.params(),
        )
        # The driver hands JSON over decoded (a list); a plain string is parsed here.
        document = json.loads(plan) if isinstance(plan, str | bytes) else plan
        rows = float(document[0]["Plan"]["Plan Rows"]) if document else 0.0
        total = await self.session.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = 'documents'::regclass")
        )
        return rows, max(float(total or 0), rows, 1.0)

    async def search(
        self,
        *,
        arms: Arms,
        filters: Filters,
        candidates: int,
        limit: int,
        after: After | None = None,
        fts_ranked: Sequence[FtsRank] = (),
        nearest: Sequence[Nearest] = (),
    ) -> list[SearchRow]:
        """The page; the full-text arm's matches are ``fts_ranked`` (from fts_ranks), the
        vector arm's neighbours ``nearest`` (from nearest)."""
        if not arms.any:
            return []
        statement = text(search_statement(filters, arms, after is not None)).columns(
            attributes=JSONB, also_in=JSONB
        )
        vector = arms.vector
        params: dict[str, Any] = {
            "candidates": candidates,
            "limit": limit,
            "marks": START + STOP,  # the text's own marks would fake matches
            **filters.params(),
        }
        if arms.fts is not None:
            params |= {
                "fts_rank": arms.fts.rank,
                "fts_weight": arms.fts.weight,
                "headline_options": HEADLINE_OPTIONS,
                "fts_ids": [found.id for found in fts_ranked],
                "fts_ranks": [found.rank for found in fts_ranked],
                "fts_typed_flags": [found.typed for found in fts_ranked],
            }
        if vector is not None:
            params |= {
                "vec_ids": [found.id for found in nearest],
                "vec_languages": [found.language for found in nearest],
                "vec_distances": [found.distance for found in nearest],
                "max_distance": vector.max_distance,
                "max_distance_across": vector.max_distance_across,
                "query_language": vector.language,
            }
        if arms.typo is not None:
            params["typo_text"] = arms.typo.text
        if after is not None:
            params["after_score"], params["after_id"] = after.score, after.id
        rows = await self.session.execute(statement, params)
        return [SearchRow(**row._mapping) for row in rows]

    async def nearest(
        self, *, arm: VectorArm, filters: Filters, vector_depth: int
    ) -> list[Nearest]:
        """The vector arm's nearest originals (a statement of its own: it can run on
        another connection while the full-text arm runs)."""
        statement = text(_nearest_statement(filters.sql(), arm)).bindparams(
            bindparam("embedding", type_=Vector(arm.dimensions))
        )
        params = {
            "embedding": list(arm.embedding),
            "model_id": arm.model_id,
            "vector_depth": vector_depth,
            **filters.params(),
        }
        rows = await self.session.execute(statement, params)
        return [Nearest(row.id, row.language, float(row.distance)) for row in rows]

    async def fts_ranks(
        self, *, arm: FtsArm, filters: Filters, candidates: int, fts_pool_limit: int
    ) -> list[FtsRank]:
        """The full-text arm's matches with their ranks (the first statement)."""
        params: dict[str, Any] = {
            "candidates": candidates,
            "fts_match": arm.match,
            "fts_rank": arm.rank,
            "fts_pool_limit": fts_pool_limit,
            "min_coverage": arm.min_coverage,
            "fts_typed": list(arm.typed),
            **filters.params(),
        }
        if arm.words:
            params |= {"fts_words": list(arm.words), "fts_weights": list(arm.weights)}
        rows = await self.session.execute(text(fts_statement(filters, arm)), params)
        return [FtsRank(row.id, row.rank, bool(row.typed)) for row in rows]

    async def texts(self, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """(title, text) of the given documents."""
        if not ids:
            return {}
        rows = await self.session.execute(
            text("SELECT id, title, text FROM documents WHERE id = ANY(:ids)"),
            {"ids": list(ids)},
        )
        return {row.id: (row.title, row.text) for row in rows}

    async def websearch(self, query: str) -> str:
        """A query in websearch syntax as a tsquery's text (stemmed by the configuration)."""
        parsed = await self.session.scalar(
            text("SELECT CAST(websearch_to_tsquery('russian', :query) AS text)"), {"query": query}
        )
        return str(parsed or "")

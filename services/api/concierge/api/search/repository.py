"""Every query of the search desk.

One statement finds, fuses and pages the results (``search``):

* the full-text arm ranks, with ``ts_rank_cd``, at most ``fts_rank_limit`` of the
  newest matching originals (a frequent word matches half the table; ranking reads
  each match's tsvector, so the cap keeps such words fast) and keeps the best
  ``candidates``;
* the vector arm takes the ``candidates`` nearest originals by cosine distance,
  through the HNSW index, or by an exact scan when filters leave few documents
  (an approximate index filters after its scan and could return too few);
* reciprocal rank fusion scores each document ``Σ 1/(60 + rank)`` over the arms;
* the page is the next ``limit`` results after the cursor in (score desc, id)
  order, with ``ts_headline`` snippets, sources and the sources of duplicates.

Only originals are searched (``duplicate_of IS NULL``); their duplicates' sources
come back as ``also_in``. Listing filters (category, city, price, currency) are an
``EXISTS`` on ``listings`` (``document_id``) inside both arms, so they narrow the
candidates rather than the page; a page row that is a listing carries its id, price,
currency and city. SQL text is assembled only from the constant fragments
below; every value is a bound parameter.
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

from concierge.api.search.snippets import HEADLINE_OPTIONS, LEAD_CHARS, START, STOP
from concierge.domain.ingest.models import EMBEDDING_DIMENSIONS

RRF_K = 60  # the usual constant of reciprocal rank fusion
# ts_rank_cd normalisation: divide by 1 + log(document length), so a long post that
# mentions a word once does not beat a short one about it.
FTS_NORMALIZATION = 1
TSQUERY = "websearch_to_tsquery('russian', :fts_query)"


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
class VectorArm:
    embedding: Sequence[float]
    exact: bool = False  # scan the filtered rows instead of asking the HNSW index


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
    headline: str
    lead: str
    also_in: list[dict[str, Any]]
    listing_id: int | None = None
    price: Decimal | None = None
    currency: str | None = None
    city: str | None = None
    availability: str | None = None


def _fts_arm(filters: str) -> str:
    return f"""
    fts_pool AS (
        SELECT d.id, d.tsv FROM documents d
        WHERE d.tsv @@ {TSQUERY} AND d.duplicate_of IS NULL{filters}
        ORDER BY d.published_at DESC
        LIMIT :fts_rank_limit
    ),
    fts AS (
        SELECT id, row_number() OVER (
            ORDER BY ts_rank_cd(tsv, {TSQUERY}, {FTS_NORMALIZATION}) DESC, id
        ) AS rank
        FROM fts_pool ORDER BY rank LIMIT :candidates
    )"""  # noqa: S608 (constant fragments; every value is bound)


def _vector_arm(filters: str, exact: bool) -> str:
    # "+ 0" turns the distance into an expression the index cannot serve: an exact scan.
    order = "(d.embedding <=> :embedding) + 0" if exact else "d.embedding <=> :embedding"
    return f"""
    vec AS (
        SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM (
            SELECT d.id, d.embedding <=> :embedding AS distance FROM documents d
            WHERE d.embedding IS NOT NULL AND d.duplicate_of IS NULL{filters}
            ORDER BY {order}
            LIMIT :candidates
        ) nearest
    )"""  # noqa: S608 (constant fragments; every value is bound)


_PAGE = f"""
    fused AS (
        SELECT id, sum(weight / ({RRF_K} + rank)) AS score
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
       ts_headline('russian', translate(d.text, :marks, ''), {TSQUERY}, :headline_options)
           AS headline,
       left(d.text, :lead_chars) AS lead,
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


def search_statement(filters: Filters, vector: VectorArm | None, fts: bool, after: bool) -> str:
    ctes, arms = [], []
    if fts:
        ctes.append(_fts_arm(filters.sql()))
        arms.append("SELECT id, rank, CAST(:fts_weight AS float8) AS weight FROM fts")
    if vector is not None:
        ctes.append(_vector_arm(filters.sql(), vector.exact))
        arms.append("SELECT id, rank, CAST(:vector_weight AS float8) AS weight FROM vec")
    page = _PAGE.format(arms=" UNION ALL ".join(arms), after=_AFTER if after else "")
    return "WITH" + ",".join([*ctes, page])


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pgvector_version(self) -> tuple[int, ...]:
        version = await self.session.scalar(
            text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        )
        return tuple(int(part) for part in str(version or "0").split(".") if part.isdigit())

    async def tune(self, *, ef_search: int, iterative_scan: bool) -> None:
        """Settings for this transaction only: the HNSW search breadth; plans made for
        the actual query words (a generic plan cannot tell a rare word from a common
        one); with pgvector ≥ 0.8, scans that continue until the filters are met."""
        settings = {"hnsw.ef_search": str(ef_search), "plan_cache_mode": "force_custom_plan"}
        if iterative_scan:
            settings["hnsw.iterative_scan"] = "relaxed_order"
        calls = ", ".join(f"set_config(:name{i}, :value{i}, true)" for i in range(len(settings)))
        params: dict[str, str] = {}
        for i, (name, value) in enumerate(settings.items()):
            params[f"name{i}"], params[f"value{i}"] = name, value
        await self.session.execute(text(f"SELECT {calls}"), params)

    async def count_searchable(self, filters: Filters, cap: int) -> int:
        """How many embedded originals the filters leave, counting no further than cap."""
        statement = text(
            "SELECT count(*) FROM (SELECT 1 FROM documents d WHERE d.embedding IS NOT NULL "  # noqa: S608
            f"AND d.duplicate_of IS NULL{filters.sql()} LIMIT :cap) counted"
        )
        return int(await self.session.scalar(statement, {"cap": cap, **filters.params()}) or 0)

    async def estimate_searchable(self, filters: Filters) -> tuple[float, float]:
        """(the planner's estimate of the embedded originals the filters leave, the rows
        in the table): no scan, only statistics."""
        plan = await self.session.scalar(
            text(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM documents d WHERE d.embedding IS NOT NULL "  # noqa: S608
                f"AND d.duplicate_of IS NULL{filters.sql()}"
            ),
            filters.params(),
        )
        rows = float(json.loads(plan)[0]["Plan"]["Plan Rows"]) if isinstance(plan, str) else 0.0
        total = await self.session.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = 'documents'::regclass")
        )
        return rows, max(float(total or 0), rows, 1.0)

    async def search(
        self,
        *,
        fts_query: str,
        use_fts: bool,
        vector: VectorArm | None,
        filters: Filters,
        candidates: int,
        fts_rank_limit: int,
        limit: int,
        after: After | None = None,
        fts_weight: float = 1.0,
        vector_weight: float = 1.0,
    ) -> list[SearchRow]:
        clause = text(search_statement(filters, vector, use_fts, after is not None))
        if vector is not None:
            clause = clause.bindparams(bindparam("embedding", type_=Vector(EMBEDDING_DIMENSIONS)))
        statement = clause.columns(attributes=JSONB, also_in=JSONB)
        params: dict[str, Any] = {
            "fts_query": fts_query,
            "candidates": candidates,
            "fts_rank_limit": fts_rank_limit,
            "limit": limit,
            "fts_weight": fts_weight,
            "vector_weight": vector_weight,
            "headline_options": HEADLINE_OPTIONS,
            "marks": START + STOP,  # the text's own marks would fake matches
            "lead_chars": LEAD_CHARS,
            **filters.params(),
        }
        if vector is not None:
            params["embedding"] = list(vector.embedding)
        if after is not None:
            params["after_score"], params["after_id"] = after.score, after.id
        rows = await self.session.execute(statement, params)
        return [SearchRow(**row._mapping) for row in rows]

    async def texts(self, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """(title, text) of the given documents."""
        if not ids:
            return {}
        rows = await self.session.execute(
            text("SELECT id, title, text FROM documents WHERE id = ANY(:ids)"),
            {"ids": list(ids)},
        )
        return {row.id: (row.title, row.text) for row in rows}

"""Whatever a user types, search answers 200 or a clear 4xx, never a 500."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.worker_client import WorkerClient
from tests.services.api.search.factories import SEARCH, add_documents, add_source

ODD_QUERIES = [
    '"unclosed phrase',
    '""',
    '"',
    "-",
    "--",
    "or",
    "or or or",
    "a or -b",
    "-everything -excluded",
    '!!! &&& ||| ((( ))) :* <-> \\ \' "" ',
    "foo:* & !bar | (baz <-> qux)",
    "'; DROP TABLE documents; --",
    "1' OR '1'='1",
    "SELECT * FROM documents WHERE 1=1",
    "%' OR 1=1 --",
    "$1 $$ $$ :name ?",
    "😀🏖️🚌 автобус 🚌",
    "👨‍👩‍👧‍👦",
    "\u200b\u200f\ufeff",
    "the of and a",  # stop words only: an empty tsquery
    "и в на с",
    "Ünïcödé ß ﬁ ｆｕｌｌｗｉｄｔｈ",
    "<script>alert(1)</script>",
    "\\x00",
    "a" * 2000,
    "слово " * 333,
    '"' * 1999,
    "-" * 2000,
    "- " * 1000,
    "-a " * 600,
    '"-a" or ' * 200,
    "or " * 666,
]


@pytest.fixture
async def stored(session: AsyncSession, worker_client: WorkerClient) -> None:
    source = await add_source(session, "Anything")
    await add_documents(
        session,
        worker_client,
        {"source_id": source, "text": "Or else: the table of documents, dropped; автобус 135."},
        {"source_id": source, "text": "Everything excluded, fullwidth and Unicode tricks."},
    )


class TestQueryText:
    @pytest.mark.parametrize("query", ODD_QUERIES)
    async def test_odd_queries_are_searched(
        self, api: httpx.AsyncClient, stored: None, query: str
    ) -> None:
        # Hybrid runs both arms and the snippets: every piece that reads the query.
        response = await api.get(SEARCH, params={"q": query})
        assert response.status_code in (200, 422), response.text
        if query.strip(" \u200b\u200f\ufeff"):
            assert response.status_code == 200, response.text
            assert isinstance(response.json()["items"], list)

    @pytest.mark.parametrize("query", ["", " ", "\t\n", "x" * 2001, "x" * 10_000])
    async def test_empty_or_huge_queries_are_refused(
        self, api: httpx.AsyncClient, query: str
    ) -> None:
        response = await api.get(SEARCH, params={"q": query})
        assert response.status_code == 422, response.text
        assert query[:50] not in response.text or not query.strip()  # input is not echoed

    async def test_a_missing_query_is_refused(self, api: httpx.AsyncClient) -> None:
        assert (await api.get(SEARCH)).status_code == 422

    async def test_nul_is_refused_before_the_database(self, api: httpx.AsyncClient) -> None:
        response = await api.get(SEARCH, params={"q": "bus\x00stop"})
        assert response.status_code == 400


class TestParameters:
    @pytest.mark.parametrize(
        "params",
        [
            {"limit": 0},
            {"limit": 51},
            {"limit": "ten"},
            {"kind": "video"},
            {"source": 0},
            {"source": -3},
            {"source": 2**63},
            {"source": "abc"},
            {"since": "yesterday"},
            {"since": "2026-13-45"},
            {"since": "0001-01-01T00:00:00+05:00"},
            {"mode": "magic"},
            {"cursor": "x" * 513},
            {"cursor": "abc"},
            {"cursor": "a.b.c"},
            {"cursor": "!!!.???"},
        ],
    )
    async def test_bad_parameters_get_422(
        self, api: httpx.AsyncClient, params: dict[str, object]
    ) -> None:
        response = await api.get(SEARCH, params={"q": "bus", **params})
        assert response.status_code == 422, response.text
        assert response.json()["status_code"] == 422

    @pytest.mark.parametrize(
        "params",
        [
            {"since": "2026-10-01"},
            {"since": "2026-10-01T10:00:00"},
            {"since": "9999-12-31T23:59:59Z"},
            {"since": "0001-01-01T00:00:00Z"},
            {"source": 2**63 - 1},
            {"limit": 50, "kind": "listing", "mode": "vector"},
            {"unknown": "ignored"},
        ],
    )
    async def test_edge_values_are_fine(
        self, api: httpx.AsyncClient, stored: None, params: dict[str, object]
    ) -> None:
        response = await api.get(SEARCH, params={"q": "bus", **params})
        assert response.status_code == 200, response.text

    async def test_needs_the_service_token(self, api: httpx.AsyncClient) -> None:
        response = await api.get(SEARCH, params={"q": "bus"}, headers={"X-Service-Token": "no"})
        assert response.status_code == 401

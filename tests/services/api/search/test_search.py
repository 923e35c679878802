"""GET /api/v1/search over a small stored collection, with real query embeddings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.search.repository import Filters, SearchRepository
from concierge.contracts.worker_client import WorkerClient
from concierge.embedded import free_port
from tests.services.api.search.conftest import StartApi
from tests.services.api.search.factories import DAY0, SEARCH, add_documents, add_source, ids, search


@dataclass
class Collection:
    city: int  # source ids
    tech: int
    bus: int  # document ids
    rain: int
    laptop: int
    bus_ru: int
    fraud_ru: int
    puppy: int
    script: int
    bus_copy: int


@pytest.fixture
async def docs(session: AsyncSession, worker_client: WorkerClient) -> Collection:
    city = await add_source(session, "City news")
    tech = await add_source(session, "Tech wire", kind="rss")
    bus, rain, laptop, bus_ru, fraud_ru, puppy, script = await add_documents(
        session,
        worker_client,
        {"source_id": city, "title": "Airport bus 135 to Krasnaya Polyana", "days": 1,
         "text": "The airport bus number 135 now runs every 20 minutes from Adler airport to "
                 "Krasnaya Polyana and Rosa Khutor. Tickets cost 150 roubles on board."},
        {"source_id": city, "title": "Heavy rain expected this weekend", "days": 2,
         "text": "Forecasters expect heavy rain and thunderstorms on Saturday; the city sends "
                 "extra drainage crews to the embankment."},
        {"source_id": tech, "title": "The new ultralight laptop, reviewed", "days": 3,
         "kind": "article",
         "text": "The new ultralight laptop has a twelve hour battery, a bright screen and a "
                 "quiet keyboard, but only two ports."},
        {"source_id": city, "title": "Автобус 135 до Красной Поляны", "days": 4, "language": "ru",
         "text": "Автобус номер 135 теперь ходит каждые 20 минут из аэропорта Адлер до Красной "
                 "Поляны. Билет стоит 150 рублей."},
        {"source_id": city, "title": "Мошенники в аренде жилья", "days": 5, "language": "ru",
         "text": "Не отправляйте предоплату незнакомцам: мошенники публикуют фальшивые "
                 "объявления о сдаче квартир посуточно."},
        {"source_id": tech, "title": "Caring for young dogs", "days": 6,
         "text": "Young dogs need several small meals a day, fresh water and plenty of sleep; "
                 "keep their bowls clean."},
        {"source_id": tech, "title": "Cheap flights <b>deals</b>", "days": 7, "raw": True,
         "text": "<script>alert(1)</script> Cheap flights to Sochi: 2 < 3 & \x02today\x03 "
                 "only <img src=x onerror=alert(1)> &lt;b&gt; \"book\" before prices rise."},
    )  # fmt: skip
    (bus_copy,) = await add_documents(
        session,
        worker_client,
        {"source_id": tech, "title": "Airport bus 135 to Krasnaya Polyana", "days": 8,
         "duplicate_of": bus,
         "text": "The airport bus number 135 now runs every 20 minutes from Adler airport to "
                 "Krasnaya Polyana and Rosa Khutor. Tickets cost 150 roubles on board."},
    )  # fmt: skip
    return Collection(city, tech, bus, rain, laptop, bus_ru, fraud_ru, puppy, script, bus_copy)


class TestHybridSearch:
    async def test_finds_by_words_and_shows_sources_and_duplicates(
        self, api: httpx.AsyncClient, docs: Collection
    ) -> None:
        page = await search(api, "airport bus 135")
        assert page["mode"] == "hybrid"
        assert page["degraded_reason"] is None
        assert ids(page)[0] == docs.bus
        assert docs.bus_copy not in ids(page)  # duplicates are shown through their original
        top = page["items"][0]
        assert top["source"] == {"id": docs.city, "kind": "telegram", "title": "City news"}
        assert top["also_in"] == [{"id": docs.tech, "kind": "rss", "title": "Tech wire"}]
        assert top["title"] == "Airport bus 135 to Krasnaya Polyana"
        assert top["url"].startswith("https://example.test/")
        assert top["published_at"].startswith((DAY0 + timedelta(days=1)).date().isoformat())
        assert top["language"] == "en"
        assert "<b>bus</b>" in top["snippet_html"]
        assert "<b>135</b>" in top["snippet_html"]
        assert "<b>" not in top["snippet"]
        assert "bus number 135" in top["snippet"]
        assert page["took_ms"] > 0

    async def test_russian_words_are_stemmed(
        self, api: httpx.AsyncClient, docs: Collection
    ) -> None:
        page = await search(api, "автобусы в Красную Поляну")
        assert ids(page)[0] == docs.bus_ru
        assert "<b>Автобус</b>" in page["items"][0]["snippet_html"]

    async def test_finds_by_meaning_what_shares_no_word(
        self, api: httpx.AsyncClient, docs: Collection
    ) -> None:
        query = "how often to feed a puppy"
        assert docs.puppy not in ids(await search(api, query, mode="fts"))
        assert ids(await search(api, query, mode="vector"))[0] == docs.puppy
        hybrid = await search(api, query)
        assert docs.puppy in ids(hybrid)[:3]
        item = next(i for i in hybrid["items"] if i["id"] == docs.puppy)
        # No word matched: the snippet is how the document starts.
        assert item["snippet"].startswith("Young dogs need several small meals")

    async def test_each_mode_runs_its_own_arm(
        self, api: httpx.AsyncClient, docs: Collection
    ) -> None:
        fts = await search(api, "laptop battery", mode="fts")
        assert fts["mode"] == "fts"
        assert ids(fts) == [docs.laptop]
        vector = await search(api, "laptop battery", mode="vector")
        assert vector["mode"] == "vector"
        assert ids(vector)[0] == docs.laptop
        assert docs.puppy not in ids(vector)  # below the model's similarity floor

    async def test_document_text_cannot_inject_markup(
        self, api: httpx.AsyncClient, docs: Collection
    ) -> None:
        page = await search(api, "cheap flights Sochi")
        item = next(i for i in page["items"] if i["id"] == docs.script)
        html = item["snippet_html"]
        assert re.sub(r"</?b>", "", html).count("<") == 0, html
        assert "2 &lt; 3 &amp;" in html
        assert "&amp;lt;b&amp;gt;" in html
        assert html.count("<b>") == html.count("</b>") == 3  # Cheap, flights, Sochi
        assert "\x02" not in item["snippet"]
        assert "2 < 3" in item["snippet"]

    @pytest.mark.parametrize("mode", ["hybrid", "fts", "vector"])
    async def test_filters(self, api: httpx.AsyncClient, docs: Collection, mode: str) -> None:
        assert set(ids(await search(api, "laptop", kind="article", mode=mode))) == {docs.laptop}
        # The bus news is in "City news", its copy in "Tech wire": a source filter reads
        # originals only, so the copy is not found there.
        assert ids(await search(api, "airport bus 135", source=docs.tech, mode=mode)) == []
        assert ids(await search(api, "airport bus 135", source=docs.city, mode=mode))[0] == docs.bus
        since = (DAY0 + timedelta(days=5)).isoformat()
        assert ids(await search(api, "young dogs", since=since, mode=mode)) == [docs.puppy]
        before = (DAY0 + timedelta(days=7)).isoformat()
        assert ids(await search(api, "young dogs", since=before, mode=mode)) == []
        assert ids(await search(api, "laptop", kind="listing", mode=mode)) == []

    async def test_no_match_is_an_empty_page(
        self, api: httpx.AsyncClient, docs: Collection
    ) -> None:
        page = await search(api, "zzyzx qwxyzzy", mode="fts")
        assert page["items"] == []
        assert page["next_cursor"] is None


class TestPaging:
    @pytest.mark.parametrize("mode", ["hybrid", "fts", "vector"])
    async def test_pages_walk_the_whole_ranking_once(
        self, start_api: StartApi, docs: Collection, mode: str
    ) -> None:
        # Any word of this query is a match (no coverage rule): many results to page.
        api = await start_api(search_min_coverage=0.0)
        query = "bus airport rain laptop dogs мошенники автобус flights"
        whole = await search(api, query, mode=mode, limit=50)
        assert whole["next_cursor"] is None
        walked, cursor, pages = [], None, 0
        while True:
            params = {"mode": mode, "limit": 2} | ({"cursor": cursor} if cursor else {})
            page = await search(api, query, **params)
            walked += ids(page)
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert walked == ids(whole)
        assert pages == -(-len(walked) // 2)
        scores = [item["score"] for item in whole["items"]]
        assert scores == sorted(scores, reverse=True)

    async def test_a_cursor_belongs_to_its_search(
        self, start_api: StartApi, docs: Collection
    ) -> None:
        api = await start_api(search_min_coverage=0.0)  # any word of the query matches
        first = await search(api, "bus airport rain laptop", limit=1)
        cursor = first["next_cursor"]
        assert cursor
        for params in (
            {"q": "something else", "cursor": cursor, "limit": 1},
            {"q": "bus airport rain laptop", "cursor": cursor, "kind": "post"},
            {"q": "bus airport rain laptop", "cursor": cursor, "mode": "fts"},
            {"q": "bus airport rain laptop", "cursor": cursor[:-2] + "AA"},
            {"q": "bus airport rain laptop", "cursor": "x" + cursor},
            {"q": "bus airport rain laptop", "cursor": "not-a-cursor"},
            {"q": "bus airport rain laptop", "cursor": "a.b"},
        ):
            response = await api.get(SEARCH, params=params)
            assert response.status_code == 422, (params, response.text)
        # The same search in other words' spacing and case is the same search.
        again = await api.get(SEARCH, params={"q": "BUS  airport rain laptop", "cursor": cursor})
        assert again.status_code == 200


class TestDegraded:
    @pytest.mark.parametrize("mode", ["hybrid", "vector"])
    async def test_without_the_worker_search_runs_on_full_text(
        self, start_api: StartApi, docs: Collection, mode: str
    ) -> None:
        api = await start_api(worker_url=f"http://127.0.0.1:{free_port()}")
        page = await search(api, "airport bus", mode=mode)
        assert page["mode"] == "fts"
        assert "worker" in page["degraded_reason"]
        assert ids(page)[0] == docs.bus

    async def test_a_slow_worker_is_not_waited_for(
        self, start_api: StartApi, docs: Collection
    ) -> None:
        api = await start_api(search_embed_timeout_s=0.001)
        page = await search(api, "a query nobody asked before: airport bus")
        assert page["mode"] == "fts"
        assert "within" in page["degraded_reason"]


class TestFilteredVectorSearch:
    async def test_exact_and_index_scans_agree_on_a_filtered_set(
        self, start_api: StartApi, docs: Collection
    ) -> None:
        exact = await start_api()  # few documents: the filtered search is exact
        indexed = await start_api(search_exact_max=0)  # the HNSW index, searched wide
        for params in ({"source": docs.tech}, {"kind": "article"}, {"kind": "listing"}):
            pages = [
                await search(api, "cheap laptop for travel", mode="vector", **params)
                for api in (exact, indexed)
            ]
            assert ids(pages[0]) == ids(pages[1]), params

    async def test_the_planners_estimate_of_a_filtered_set_is_read(
        self, session: AsyncSession, docs: Collection
    ) -> None:
        # It sizes the HNSW scan of a filtered search on pgvector < 0.8: read as nothing,
        # every filter looked rare and searched at the widest ef_search (10x slower).
        expected, total = await SearchRepository(session).estimate_searchable(
            Filters(kind="article")
        )
        assert 1.0 <= expected <= total


class TestNearIdenticalTitles:
    async def test_the_listing_with_the_typed_word_comes_first(
        self, session: AsyncSession, worker_client: WorkerClient, start_api: StartApi
    ) -> None:
        # Titles a letter apart embed almost alike: the full-text arm (the word itself) and
        # the typed-form bonus put the one named first, whatever the vectors say.
        source = await add_source(session, "Market")
        tags = ["zqidaabh", "zqidaaaj", "zqidaaah", "zqidaabj", "zqidabah"]
        found = await add_documents(
            session,
            worker_client,
            *[
                {"source_id": source, "title": f"Stels Navigator bike {tag}", "kind": "listing",
                 "text": f"Stels Navigator bike {tag}. A mountain bike, size M.", "days": n + 1}
                for n, tag in enumerate(tags)
            ],
        )  # fmt: skip
        api = await start_api()
        for tag, document_id in zip(tags, found, strict=True):
            assert ids(await search(api, f"bike {tag}"))[0] == document_id, tag

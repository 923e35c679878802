"""GET /search over market listings: kind=listing with category, city and price filters,
hybrid (the real worker embeds), and the listing fields of a hit."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.market import ListingStatus
from concierge.contracts.worker_client import WorkerClient
from concierge.domain.identity.models import User
from concierge.domain.ingest.repository import DocumentRepository, VectorRepository
from concierge.domain.market.models import Listing
from concierge.worker.ingest.repository import document_row
from concierge.worker.market.indexing import listing_document
from tests.services.api.search.factories import (
    DAY0,
    SEARCH,
    add_documents,
    add_source,
    ids,
    register_model,
    search,
)

pytestmark = pytest.mark.integration

_telegram_ids = itertools.count(720_001)


async def add_listing(
    session: AsyncSession, worker: WorkerClient, **values: Any
) -> tuple[int, int]:
    """An approved listing and its embedded document, as the worker writes them;
    returns (listing id, document id)."""
    user = User(telegram_id=next(_telegram_ids), first_name="Seller")
    session.add(user)
    await session.flush()
    fields: dict[str, Any] = {
        "description": "",
        "category": "hobby",
        "price": Decimal(100),
        "currency": "EUR",
        "city": "Lisbon",
        "status": ListingStatus.APPROVED,
        "published_at": DAY0,
        **values,
    }
    listing = Listing(owner_id=user.id, **fields)
    session.add(listing)
    await session.flush()
    document = listing_document(listing)
    embedded = await worker.embed([document.embed_text], "passage")
    row = document_row(document, 0)
    row["source_id"] = None
    document_id = (await DocumentRepository(session).insert_many([row]))[row["external_id"]]
    model_id = await register_model(session, embedded.model, embedded.dimensions)
    await VectorRepository(session).store(model_id, {document_id: embedded.vectors[0]})
    listing.document_id = document_id
    await session.flush()
    return listing.id, document_id


@pytest.fixture
async def market(session: AsyncSession, worker_client: WorkerClient) -> dict[str, tuple[int, int]]:
    source = await add_source(session, "Bikes channel")
    await add_documents(
        session, worker_client, {"source_id": source, "text": "Selling my mountain bicycle, DM me"}
    )
    return {
        "bike": await add_listing(
            session, worker_client, title="Mountain bicycle Merida", price=Decimal(450)
        ),
        "kids": await add_listing(
            session, worker_client, title="Kids bicycle", price=Decimal(60), city="Porto"
        ),
        "sofa": await add_listing(
            session, worker_client, title="Leather sofa", category="home", price=Decimal(300)
        ),
    }


class TestListingSearch:
    @pytest.mark.parametrize("mode", ["hybrid", "fts", "vector"])
    async def test_listing_filters(
        self, api: httpx.AsyncClient, market: dict[str, tuple[int, int]], mode: str
    ) -> None:
        bike, kids, sofa = (market[name][1] for name in ("bike", "kids", "sofa"))
        every = await search(api, "bicycle", kind="listing", mode=mode, limit=10)
        assert {bike, kids} <= set(ids(every))
        assert all(item["kind"] == "listing" for item in every["items"])

        assert set(ids(await search(api, "bicycle", mode=mode, category="home"))) <= {sofa}
        assert set(ids(await search(api, "bicycle", mode=mode, city="porto"))) == {kids}
        cheap = await search(api, "bicycle", mode=mode, kind="listing", price_max="100")
        assert set(ids(cheap)) == {kids}
        assert set(ids(await search(api, "bicycle", mode=mode, price_min="400"))) == {bike}
        assert ids(await search(api, "bicycle", mode=mode, currency="RUB")) == []

    async def test_a_listing_hit_says_which_listing(
        self, api: httpx.AsyncClient, market: dict[str, tuple[int, int]]
    ) -> None:
        listing_id, document_id = market["kids"]
        page = await search(api, "kids bicycle", city="Porto")
        (hit,) = page["items"]
        assert hit["id"] == document_id
        assert hit["listing_id"] == listing_id
        assert (hit["city"], hit["currency"], Decimal(hit["price"])) == ("Porto", "EUR", 60)
        assert hit["availability"] == "available"
        assert hit["source"] is None

    async def test_a_listing_snippet_is_its_description_not_its_index_fields(
        self, api: httpx.AsyncClient, session: AsyncSession, worker_client: WorkerClient
    ) -> None:
        await add_listing(
            session, worker_client, title="Kids' bike, 16 inch", category="kids",
            price=Decimal(60), city="Berlin", description="For 4–6 years, with training wheels.",
        )  # fmt: skip
        (hit,) = (await search(api, "training wheels bike", kind="listing"))["items"]
        assert hit["snippet"] == "For 4–6 years, with training wheels."
        assert "<b>training</b> <b>wheels</b>" in hit["snippet_html"]

    async def test_a_sold_listing_is_found_and_says_so(
        self, api: httpx.AsyncClient, session: AsyncSession, market: dict[str, tuple[int, int]]
    ) -> None:
        listing_id, _ = market["kids"]
        listing = await session.get(Listing, listing_id)
        assert listing is not None
        listing.availability = "sold"
        await session.flush()
        (hit,) = (await search(api, "kids bicycle", city="Porto"))["items"]
        assert (hit["listing_id"], hit["availability"]) == (listing_id, "sold")

    async def test_everything_search_finds_posts_and_listings(
        self, api: httpx.AsyncClient, market: dict[str, tuple[int, int]]
    ) -> None:
        page = await search(api, "mountain bicycle", limit=10)
        kinds = {item["kind"] for item in page["items"]}
        assert kinds == {"post", "listing"}
        post = next(item for item in page["items"] if item["kind"] == "post")
        assert post["listing_id"] is None

    async def test_a_listing_no_longer_approved_is_not_found_by_a_listing_search(
        self, api: httpx.AsyncClient, session: AsyncSession, market: dict[str, tuple[int, int]]
    ) -> None:
        listing = await session.get(Listing, market["sofa"][0])
        assert listing is not None
        listing.status = ListingStatus.ARCHIVED  # the worker has not removed its document yet
        await session.flush()
        assert market["sofa"][1] not in ids(await search(api, "leather sofa", kind="listing"))

    async def test_later_pages_keep_the_filters(
        self,
        api: httpx.AsyncClient,
        market: dict[str, tuple[int, int]],
        session: AsyncSession,
        worker_client: WorkerClient,
    ) -> None:
        await add_listing(session, worker_client, title="City bicycle", price=Decimal(120))
        first = await search(api, "bicycle", kind="listing", city="Lisbon", limit=1)
        assert first["next_cursor"] is not None
        response = await api.get(
            SEARCH, params={"q": "bicycle", "kind": "listing", "city": "Porto", "limit": 1,
                            "cursor": first["next_cursor"]},
        )  # fmt: skip
        assert response.status_code == 422  # the cursor belongs to the Lisbon search


class TestListingFilterInput:
    @pytest.mark.parametrize(
        "params",
        [
            {"kind": "post", "category": "hobby"},
            {"kind": "article", "price_min": "1"},
            {"price_min": "500", "price_max": "10"},
        ],
    )
    async def test_filters_that_exclude_each_other_find_nothing(
        self,
        api: httpx.AsyncClient,
        market: dict[str, tuple[int, int]],
        params: dict[str, str],
    ) -> None:
        """Valid one by one, so not an error (the schema says so): they match nothing."""
        assert ids(await search(api, "bicycle", **params)) == []

    @pytest.mark.parametrize(
        "params",
        [
            {"category": "spaceships"},
            {"currency": "BTC"},
            {"price_max": "-5"},
            {"price_max": "Infinity"},
        ],
    )
    async def test_is_refused_with_422(
        self, api: httpx.AsyncClient, params: dict[str, str]
    ) -> None:
        response = await api.get(SEARCH, params={"q": "bicycle", **params})
        assert response.status_code == 422, response.text

    async def test_nul_in_a_filter_is_a_400(self, api: httpx.AsyncClient) -> None:
        response = await api.get(SEARCH, params={"q": "bicycle", "city": "Lis\x00bon"})
        assert response.status_code == 400

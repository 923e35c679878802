"""GET /api/v1/listings: browsing and searching approved listings from the Mini App.

Listings are created in the database with their documents written the way the worker
writes them (``listing_document``); the search runs on full text here (no embedding
worker: the api degrades to full text); tests/services/api/search covers the hybrid
search with listing filters.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.paging import CursorCodec
from concierge.api.search.service import SearchConfig, SearchRuntime
from concierge.contracts.market import ListingStatus
from concierge.domain.identity.models import User
from concierge.domain.ingest.repository import DocumentRepository
from concierge.domain.market.models import Listing
from concierge.worker.ingest.repository import document_row
from concierge.worker.market.indexing import listing_document
from tests.services.api.market.conftest import SELLER_ID, WebClient

pytestmark = pytest.mark.integration

LISTINGS = "/api/v1/listings"
DAY0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
_telegram_ids = itertools.count(710_001)


@pytest.fixture(autouse=True)
def search_state(market_app: FastAPI) -> None:
    """What the lifespan opens for search: here without query embeddings."""
    market_app.state.search = SearchRuntime(
        config=SearchConfig(), cursors=CursorCodec(b"browse-tests"), embedder=None
    )


async def owner(session: AsyncSession, telegram_id: int | None = None) -> int:
    user = User(telegram_id=telegram_id or next(_telegram_ids), first_name="Seller")
    session.add(user)
    await session.flush()
    return user.id


async def add_listing(
    session: AsyncSession, owner_id: int, *, days: int = 0, indexed: bool = True, **values: Any
) -> int:
    """A listing, approved unless told; its document as the worker writes it."""
    fields: dict[str, Any] = {
        "title": "Road bike",
        "description": "Carbon frame, size 56",
        "category": "hobby",
        "price": Decimal(500),
        "currency": "EUR",
        "city": "Lisbon",
        "status": ListingStatus.APPROVED,
        "published_at": DAY0 + timedelta(days=days),
        **values,
    }
    listing = Listing(owner_id=owner_id, **fields)
    session.add(listing)
    await session.flush()
    if indexed:
        row = document_row(listing_document(listing), 0)
        row["source_id"] = None
        inserted = await DocumentRepository(session).insert_many([row])
        listing.document_id = inserted[row["external_id"]]
        await session.flush()
    return listing.id


async def browse(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(LISTINGS, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


class TestBrowse:
    async def test_approved_listings_newest_first(
        self, session: AsyncSession, buyer: httpx.AsyncClient
    ) -> None:
        seller = await owner(session)
        old = await add_listing(session, seller, days=0)
        new = await add_listing(session, seller, days=2)
        middle = await add_listing(session, seller, days=1)
        for status in (ListingStatus.PENDING, ListingStatus.REJECTED, ListingStatus.ARCHIVED):
            await add_listing(session, seller, status=status, published_at=None, indexed=False)
        await add_listing(session, seller, status=ListingStatus.DRAFT, indexed=False)

        page = await browse(buyer)

        assert ids(page) == [new, middle, old]
        assert page["next_cursor"] is None
        item = page["items"][0]
        assert item["status"] == "approved"
        assert item["is_mine"] is False
        assert item["price"] in ("500", "500.00")

    async def test_pages_walk_every_listing_once(
        self, session: AsyncSession, buyer: httpx.AsyncClient
    ) -> None:
        seller = await owner(session)
        created = [await add_listing(session, seller, days=n % 3) for n in range(7)]

        seen: list[int] = []
        cursor = None
        for _ in range(10):
            page = await browse(buyer, limit=3, **({"cursor": cursor} if cursor else {}))
            seen += ids(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(created)
        assert len(seen) == len(set(seen))

    async def test_filters(self, session: AsyncSession, buyer: httpx.AsyncClient) -> None:
        seller = await owner(session)
        bike = await add_listing(session, seller, price=Decimal(500))
        sofa = await add_listing(session, seller, category="home", city="Porto",
                                 price=Decimal(120), title="Sofa")  # fmt: skip
        phone = await add_listing(session, seller, category="electronics", currency="RUB",
                                  price=Decimal(15000), city="Moscow", title="Phone")  # fmt: skip

        assert ids(await browse(buyer, category="home")) == [sofa]
        assert ids(await browse(buyer, city="  porto ")) == [sofa]  # any case, trimmed
        assert set(ids(await browse(buyer, price_min="100", price_max="500"))) == {bike, sofa}
        assert ids(await browse(buyer, price_min="500.01")) == [phone]
        assert ids(await browse(buyer, currency="RUB")) == [phone]
        assert ids(await browse(buyer, category="hobby", city="Porto")) == []
        assert len(ids(await browse(buyer, q="", city=""))) == 3  # empty fields: no filter

    async def test_the_owner_sees_their_listing_as_theirs(
        self, session: AsyncSession, web_client: WebClient
    ) -> None:
        seller_client = await web_client(SELLER_ID)  # signs in: the user exists now
        seller = await session.scalar(select(User.id).where(User.telegram_id == SELLER_ID))
        assert seller is not None
        listing_id = await add_listing(session, seller)

        (item,) = (await browse(seller_client))["items"]
        assert (item["id"], item["is_mine"]) == (listing_id, True)

    async def test_needs_a_signed_in_user(self, market_app: FastAPI) -> None:
        transport = httpx.ASGITransport(app=market_app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as anonymous:
            response = await anonymous.get(LISTINGS)
        assert response.status_code == 401


class TestSearch:
    async def test_finds_approved_listings_by_words_with_filters(
        self, session: AsyncSession, buyer: httpx.AsyncClient
    ) -> None:
        seller = await owner(session)
        bike = await add_listing(session, seller, title="Mountain bicycle Merida")
        cheap = await add_listing(session, seller, title="Old bicycle", price=Decimal(40))
        await add_listing(session, seller, title="Kitchen table", category="home")
        withdrawn = await add_listing(session, seller, title="Racing bicycle")
        stale = await session.get(Listing, withdrawn)
        assert stale is not None
        stale.status = ListingStatus.ARCHIVED  # its document not removed yet
        await session.flush()

        page = await browse(buyer, q="bicycle")

        assert set(ids(page)) == {bike, cheap}
        assert ids(await browse(buyer, q="bicycle", price_max="100")) == [cheap]
        assert ids(await browse(buyer, q="bicycle", category="home")) == []
        assert ids(await browse(buyer, q="table")) != []

    async def test_pages_of_a_search(self, session: AsyncSession, buyer: httpx.AsyncClient) -> None:
        seller = await owner(session)
        created = {await add_listing(session, seller, title=f"Guitar number {n}") for n in range(5)}

        first = await browse(buyer, q="guitar", limit=3)
        assert first["next_cursor"] is not None
        second = await browse(buyer, q="guitar", limit=3, cursor=first["next_cursor"])

        assert set(ids(first)) | set(ids(second)) == created
        assert second["next_cursor"] is None
        # A search's cursor belongs to its search.
        response = await buyer.get(
            LISTINGS, params={"q": "guitar", "limit": 3, "cursor": first["next_cursor"],
                              "category": "home"}
        )  # fmt: skip
        assert response.status_code == 422


class TestBadInput:
    @pytest.mark.parametrize(
        "params",
        [
            {"category": "spaceships"},
            {"currency": "BTC"},
            {"price_min": "abc"},
            {"price_min": "-1"},
            {"price_max": "NaN"},
            {"price_max": "1e400"},
            {"limit": "0"},
            {"limit": "51"},
            {"city": "x" * 65},
            {"q": "x" * 2001},
        ],
    )
    async def test_is_refused_with_422(
        self, buyer: httpx.AsyncClient, params: dict[str, str]
    ) -> None:
        response = await buyer.get(LISTINGS, params=params)
        assert response.status_code == 422, response.text

    async def test_a_price_range_upside_down_finds_nothing(self, buyer: httpx.AsyncClient) -> None:
        """Each bound is valid (the schema says so); together they match no listing."""
        response = await buyer.get(LISTINGS, params={"price_min": "10", "price_max": "5"})
        assert response.json() == {"items": [], "next_cursor": None}

    @pytest.mark.parametrize(
        "params", [{"q": "bike\x00"}, {"city": "Lis\x00bon"}, {"cursor": "\x00"}]
    )
    async def test_nul_bytes_are_a_400(
        self, buyer: httpx.AsyncClient, params: dict[str, str]
    ) -> None:
        response = await buyer.get(LISTINGS, params=params)
        assert response.status_code == 400

    @pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "a" * 200])
    async def test_a_bad_cursor_is_a_4xx_not_a_500(
        self, buyer: httpx.AsyncClient, cursor: str
    ) -> None:
        for params in ({"cursor": cursor}, {"cursor": cursor, "q": "bike"}):
            response = await buyer.get(LISTINGS, params=params)
            assert response.status_code == 422, response.text

"""The market's approved listings, searched or browsed, as the caller sees them (their
own marked ``is_mine``; sellers' figures only on their own)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from concierge.api.market.listings.repository import ListingRepository
from concierge.api.market.listings.schemas import BrowseParams, ListingPage
from concierge.api.market.listings.service import BrowseService
from concierge.api.market.photos.repository import PhotoRepository
from concierge.api.market.reads import ListingReader
from concierge.api.mcp.registry import ToolSet, current_call
from concierge.api.mcp.tools.search import search_service
from concierge.api.paging import MAX_CURSOR_LENGTH
from concierge.api.search.schemas import CityFilter
from concierge.contracts.market import Category, Currency, Price
from concierge.contracts.mcp import McpScope
from concierge.contracts.search import MAX_PAGE, Query

TOOLS = ToolSet("market")


@TOOLS.tool(McpScope.MARKET_READ)
async def search_listings(
    q: Annotated[Query | None, Field(description="Words or a question; none: newest")] = None,
    category: Category | None = None,
    city: Annotated[CityFilter | None, Field(description="Exact, any case")] = None,
    price_min: Price | None = None,
    price_max: Price | None = None,
    currency: Currency | None = None,
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 10,
    cursor: Annotated[
        str | None, Field(max_length=MAX_CURSOR_LENGTH, description="next_cursor of a page")
    ] = None,
) -> ListingPage:
    """Approved market listings (things for sale): with q the best matches, without it
    the newest; filters by category, city, price range and currency. Each listing has
    its price, city, photos' links and the seller's t.me link when they allow it."""
    call = current_call()
    params = BrowseParams(
        q=q, category=category, city=city, price_min=price_min, price_max=price_max,
        currency=currency, limit=limit, cursor=cursor,
    )  # fmt: skip
    listings = ListingRepository(call.session)
    browse = BrowseService(listings, search_service(), call.state.cursors)
    rows, next_cursor = await browse.page(params)
    reader = ListingReader(PhotoRepository(call.session), listings, call.state.storage)
    return ListingPage(items=await reader.many(rows, call.user), next_cursor=next_cursor)

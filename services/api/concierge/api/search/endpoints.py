from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from concierge.api.search.deps import SearchServiceDep
from concierge.api.search.schemas import SearchPage, SearchParams
from concierge.common.auth import require_service_token

router = APIRouter(tags=["search"], dependencies=[Depends(require_service_token)])


@router.get("/search", response_model=SearchPage)
async def search(params: Annotated[SearchParams, Query()], search: SearchServiceDep) -> SearchPage:
    """Hybrid search over ingested documents (full text and meaning, fused by rank).

    ``q`` takes websearch syntax: words, "a phrase", -excluded, or. Pass
    ``next_cursor`` back as ``cursor`` for the next page. ``kind=listing`` searches
    approved market listings and takes their filters: ``category``, ``city``,
    ``price_min``, ``price_max``, ``currency`` (given alone, they imply
    ``kind=listing``); a listing hit carries ``listing_id``, price, currency and city.
    When query embeddings are
    unavailable the results come from full text only (``mode`` says ``fts`` and
    ``degraded_reason`` why).
    """
    return await search.search(params)

"""The listings API's models: the shared contract models, and the browse query string."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import Field, field_validator

from concierge.api.paging import MAX_CURSOR_LENGTH
from concierge.api.params import id_path
from concierge.api.search.schemas import ListingFilterParams
from concierge.contracts.market import (
    AvailabilityChange,
    Category,
    City,
    CurrencySuggestion,
    ExpirySweep,
    ListingCreate,
    ListingPage,
    ListingRead,
    ListingStatus,
    ListingUpdate,
)
from concierge.contracts.search import MAX_PAGE
from concierge.contracts.search import Query as SearchQuery

ListingId = Annotated[int, id_path("The listing's id")]
PageLimit = Annotated[int, Query(ge=1, le=50, description="Listings per page")]
CityParam = Annotated[City | None, Query(description="The city the listing is in")]


class BrowseParams(ListingFilterParams):
    """``GET /listings``'s query string."""

    q: SearchQuery | None = Field(None, description="Words or a question; empty: browse")
    limit: int = Field(20, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(None, max_length=MAX_CURSOR_LENGTH)

    @field_validator("q", "city", "cursor", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: object) -> object:
        """A form's empty field is no filter."""
        return None if isinstance(value, str) and not value.strip() else value


__all__ = [
    "AvailabilityChange",
    "BrowseParams",
    "Category",
    "CityParam",
    "CurrencySuggestion",
    "ExpirySweep",
    "ListingCreate",
    "ListingId",
    "ListingPage",
    "ListingRead",
    "ListingStatus",
    "ListingUpdate",
    "PageLimit",
]

"""Search's API models: the query parameters in, the shared contract models out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from concierge.api.paging import MAX_CURSOR_LENGTH
from concierge.contracts.ids import RowId
from concierge.contracts.market import Category, Currency, Price
from concierge.contracts.search import (
    MAX_PAGE,
    DocumentKind,
    Query,
    SearchHit,
    SearchMode,
    SearchPage,
    SourceRef,
)
from concierge.contracts.text import SINGLE_LINE

CityFilter = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), SINGLE_LINE
]


class ListingFilterParams(BaseModel):
    """Filters only listings have (``GET /search?kind=listing`` and ``GET /listings``).

    Any of them keeps approved listings only: with another ``kind`` nothing matches, and
    a ``price_min`` above ``price_max`` matches nothing either (neither is an error).
    """

    category: Category | None = None
    city: CityFilter | None = Field(None, description="Exact, case-insensitive")
    price_min: Price | None = None
    price_max: Price | None = None
    currency: Currency | None = None

    @classmethod
    def listing_filter_names(cls) -> tuple[str, ...]:
        return tuple(ListingFilterParams.model_fields)

    @property
    def has_listing_filters(self) -> bool:
        return any(getattr(self, name) is not None for name in self.listing_filter_names())


class SearchParams(ListingFilterParams):
    """``GET /search``'s query string. Listing filters imply ``kind=listing``; with another
    kind they match nothing."""

    q: Query = Field(description='Words, "a phrase", -excluded, or: websearch syntax')
    kind: DocumentKind | None = None
    source: RowId | None = Field(None, description="A source id")
    since: datetime | None = Field(None, description="Only documents published at or after")
    limit: int = Field(10, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(None, max_length=MAX_CURSOR_LENGTH)
    mode: SearchMode = SearchMode.HYBRID

    @field_validator("since")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        """A time without a zone is taken as UTC; one that UTC cannot hold is refused."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("since is out of range") from None

    @model_validator(mode="after")
    def _listing_filters_imply_listings(self) -> Self:
        if self.has_listing_filters and self.kind is None:
            self.kind = DocumentKind.LISTING
        return self


__all__ = [
    "ListingFilterParams",
    "SearchHit",
    "SearchMode",
    "SearchPage",
    "SearchParams",
    "SourceRef",
]

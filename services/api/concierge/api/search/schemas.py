"""Search's API models: the query parameters in, the shared contract models out."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from concierge.api.paging import MAX_CURSOR_LENGTH
from concierge.contracts.ids import RowId
from concierge.contracts.market import Category, Currency
from concierge.contracts.search import (
    MAX_PAGE,
    DocumentKind,
    Query,
    SearchHit,
    SearchMode,
    SearchPage,
    SourceRef,
)

MAX_PRICE = Decimal("1000000000")

PriceBound = Annotated[Decimal, Field(ge=0, le=MAX_PRICE, max_digits=12, decimal_places=2)]
CityFilter = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class ListingFilterParams(BaseModel):
    """Filters only listings have (``GET /search?kind=listing`` and ``GET /listings``)."""

    category: Category | None = None
    city: CityFilter | None = Field(None, description="Exact, case-insensitive")
    price_min: PriceBound | None = None
    price_max: PriceBound | None = None
    currency: Currency | None = None

    @classmethod
    def listing_filter_names(cls) -> tuple[str, ...]:
        return tuple(ListingFilterParams.model_fields)

    @property
    def has_listing_filters(self) -> bool:
        return any(getattr(self, name) is not None for name in self.listing_filter_names())

    @model_validator(mode="after")
    def _price_range(self) -> Self:
        if (
            self.price_min is not None
            and self.price_max is not None
            and self.price_min > self.price_max
        ):
            raise ValueError("price_min is greater than price_max")
        return self


class SearchParams(ListingFilterParams):
    """``GET /search``'s query string. Listing filters need ``kind=listing`` (or no kind:
    they imply it)."""

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
    def _listing_filters_need_listings(self) -> Self:
        if self.has_listing_filters:
            if self.kind not in (None, DocumentKind.LISTING):
                raise ValueError("category, city, price and currency filter kind=listing only")
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

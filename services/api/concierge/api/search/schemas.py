"""Search's API models: the query parameters in, the shared contract models out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from concierge.contracts.search import (
    MAX_PAGE,
    DocumentKind,
    Query,
    SearchHit,
    SearchMode,
    SearchPage,
    SourceRef,
)

MAX_CURSOR_LENGTH = 512


class SearchParams(BaseModel):
    """``GET /search``'s query string."""

    q: Query = Field(description='Words, "a phrase", -excluded, or: websearch syntax')
    kind: DocumentKind | None = None
    source: Annotated[int, Field(gt=0, lt=2**63)] | None = Field(None, description="A source id")
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


__all__ = ["SearchHit", "SearchMode", "SearchPage", "SearchParams", "SourceRef"]

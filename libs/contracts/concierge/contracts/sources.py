"""Sources of documents (feeds, pages, channels): the admin API's models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import JsonDict

from concierge.contracts.search import SourceKind
from concierge.contracts.text import SINGLE_LINE

HttpUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2048, pattern=r"^https?://\S+$"),
    SINGLE_LINE,
]
SourceTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), SINGLE_LINE]
ChannelHandle = Annotated[str, StringConstraints(pattern=r"^@?[A-Za-z][A-Za-z0-9_]{3,31}$")]


# The address that fits the kind, said in the schema too: a channel has a handle, a feed
# or a page a URL.
_ADDRESS_FITS_KIND: JsonDict = {
    "if": {"properties": {"kind": {"const": "telegram"}}, "required": ["kind"]},
    "then": {"required": ["handle"], "properties": {"handle": {"type": "string"}}},
    "else": {"required": ["url"], "properties": {"url": {"type": "string"}}},
}


class SourceCreate(BaseModel):
    """A feed or page (``kind`` rss or web) needs a ``url``; a channel (telegram) a
    ``handle``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_ADDRESS_FITS_KIND)

    kind: SourceKind
    url: HttpUrl | None = None
    handle: ChannelHandle | None = None
    title: SourceTitle | None = None

    @model_validator(mode="after")
    def _address_fits_kind(self) -> SourceCreate:
        if self.kind == SourceKind.TELEGRAM:
            if not self.handle:
                raise ValueError("a telegram source needs a channel handle")
        elif not self.url:
            raise ValueError(f"a {self.kind} source needs a url")
        return self


class SourceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool | None = None
    title: SourceTitle | None = None


class SourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: SourceKind
    url: str | None
    handle: str | None
    title: str | None
    enabled: bool
    poll_interval_s: float
    next_check_at: datetime
    last_checked_at: datetime | None
    last_success_at: datetime | None
    error_count: int
    last_error: str | None
    created_at: datetime
    document_count: int = Field(0, description="Documents taken from this source")
    embedded_count: int = Field(
        0,
        description="Of its searchable documents, those with a vector of the newest embedding "
        "model (the one being built during a re-embed)",
    )


class EmbeddingModelRead(BaseModel):
    """An embedding model and how much of the corpus its vectors cover."""

    name: str
    dimensions: int
    state: Literal["building", "active", "retired"] = Field(
        description="building: being embedded (search uses the active one); active: search "
        "uses it; retired: replaced, its vectors are being deleted"
    )
    covered: int = Field(description="Searchable documents with a vector of this model")
    total: int = Field(description="Searchable documents")
    share: float = Field(description="covered / total (1 when there are none)")
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None

"""Search, answers and embeddings: the models shared by api, worker and bot.

The api serves ``GET /api/v1/search`` and ``POST /api/v1/assistant/answer``; the
worker serves ``POST /embed`` (query embeddings for the api, batched). The bot and
later the Mini App read these shapes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from concierge.contracts.ids import BodyDateTime, BodyRowId
from concierge.contracts.text import MULTI_LINE

MAX_QUERY_LENGTH = 2000
MAX_PAGE = 50
MAX_EMBED_BATCH = 64
MAX_EMBED_TEXT = 8000


class DocumentKind(StrEnum):
    POST = "post"  # a channel post or a feed item
    ARTICLE = "article"  # a web page
    LISTING = "listing"  # a market listing


class SearchMode(StrEnum):
    HYBRID = "hybrid"  # full-text and vector candidates fused by reciprocal rank
    FTS = "fts"  # full-text search only
    VECTOR = "vector"  # embedding similarity only


class SourceKind(StrEnum):
    RSS = "rss"
    WEB = "web"
    TELEGRAM = "telegram"


Query = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY_LENGTH),
    MULTI_LINE,
]


class SourceRef(BaseModel):
    id: int
    kind: SourceKind
    title: str | None


class SearchHit(BaseModel):
    id: int
    kind: DocumentKind
    title: str
    snippet: str = Field(description="Plain text around the matches")
    snippet_html: str = Field(
        description="The snippet HTML-escaped, matches in <b>…</b> (safe for Telegram HTML)"
    )
    url: str | None
    source: SourceRef | None
    published_at: datetime
    language: str
    score: float
    also_in: list[SourceRef] = Field(default_factory=list, description="Sources of duplicates")
    attributes: dict[str, Any] = Field(default_factory=dict)
    # A market listing (kind ``listing``): open it in the Mini App with ``listing_<id>``.
    listing_id: int | None = None
    price: Decimal | None = None
    currency: str | None = None
    city: str | None = None
    availability: str | None = Field(
        None, description="A listing's: available, reserved or sold (its seller says)"
    )


class SearchPage(BaseModel):
    query: str
    items: list[SearchHit]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; None at the end"
    )
    took_ms: float
    mode: SearchMode = Field(
        SearchMode.HYBRID, description="How the results were found (may differ from the asked one)"
    )
    degraded_reason: str | None = Field(
        None, description="Why the search fell back to full text only (query embeddings failed)"
    )


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Query
    kind: DocumentKind | None = None
    source: BodyRowId | None = None
    since: BodyDateTime | None = None


class Citation(BaseModel):
    n: int = Field(description="The number used in the answer text, [1], [2], …")
    document_id: int
    title: str
    url: str | None
    source: SourceRef | None
    published_at: datetime
    quote: str = Field(description="The passage the answer leans on")


class Answer(BaseModel):
    question: str
    text: str
    citations: list[Citation]
    mode: Literal["llm", "extractive", "none"] = Field(
        description="llm: written by the model; extractive: the best passages; none: nothing found"
    )
    model: str | None = None
    degraded_reason: str | None = Field(
        None, description="Why an LLM answer fell back to the extractive one"
    )


EmbedText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_EMBED_TEXT)]


class EmbedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texts: list[EmbedText] = Field(min_length=1, max_length=MAX_EMBED_BATCH)
    kind: Literal["query", "passage"] = "query"


class EmbedResponse(BaseModel):
    model: str = Field(description="The model's name: search compares only its vectors")
    dimensions: int
    vectors: list[list[float]]
    similarity_floor: float | None = Field(
        None, description="Cosine below which a document is no match for the query"
    )
    cross_language_floor: float | None = Field(
        None, description="The same for a document in another language than the query"
    )

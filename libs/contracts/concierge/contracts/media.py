"""The media desk's HTTP models: a person's preferences, their indexers and seedbox
connections (secrets go in, never out), history and ratings, titles and releases for the
button flow, proposals and downloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from concierge.contracts.text import SINGLE_LINE

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), SINGLE_LINE
]
Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=8, max_length=2048),
    SINGLE_LINE,
]
Secret = Annotated[SecretStr, Field(min_length=1, max_length=500)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
Genre = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), SINGLE_LINE
]
QualityValue = Literal[0, 480, 720, 1080, 2160]
SeedboxKindName = Literal["transmission", "qbittorrent", "deluge"]
TitleKind = Literal["movie", "tv"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MediaPreferencesRead(BaseModel):
    quality: int = Field(description="Preferred quality: 480, 720, 1080, 2160 or 0 (any)")
    audio: list[str] = Field(description="Audio languages, most wanted first")
    genres: list[str]
    notify_done: bool = Field(description="Tell the person when a download is done")
    onboarded: bool


class MediaPreferencesUpdate(_Strict):
    quality: QualityValue | None = None
    audio: Annotated[list[Language], Field(max_length=5)] | None = None
    genres: Annotated[list[Genre], Field(max_length=20)] | None = None
    notify_done: bool | None = None


class IndexerCreate(_Strict):
    name: Name
    url: Url = Field(description="The Torznab endpoint (Jackett's or Prowlarr's …/api)")
    apikey: Secret


class IndexerRead(BaseModel):
    id: int
    name: str
    url: str
    created_at: datetime


class SeedboxCreate(_Strict):
    kind: SeedboxKindName
    url: Url
    username: Annotated[str, StringConstraints(max_length=200), SINGLE_LINE] | None = None
    password: Secret | None = None
    on_my_lan: bool = Field(
        False, description="The person's mark: this seedbox is theirs on a private address"
    )
    deluge_host_id: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{1,64}$")] | None = None


class SeedboxRead(BaseModel):
    id: int
    kind: str
    url: str
    username: str | None
    on_my_lan: bool
    version: str | None = Field(description="What the test connection reported")
    created_at: datetime


class WatchedCreate(_Strict):
    source: Literal["tmdb", "kinopoisk"] = "tmdb"
    title_id: int = Field(ge=1, lt=2**53)
    kind: TitleKind = "movie"
    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), SINGLE_LINE
    ]
    rating: int | None = Field(None, ge=1, le=10)


class WatchedRead(BaseModel):
    source: str
    title_id: int
    kind: str
    title: str
    rating: int | None
    watched_at: datetime


class TitleRead(BaseModel):
    id: int
    kind: str
    title: str
    original_title: str | None = None
    year: int | None = None


class GenreRead(BaseModel):
    """One of TMDB's genres: ``key`` (its English name, lower case) is what preferences
    hold; ``name`` is in the caller's language."""

    id: int
    key: str
    name: str


class RecommendationRead(BaseModel):
    """A title recommended to the caller, and why: ``liked`` (``because`` names the titles
    they rated well that recommend it), ``genres`` (popular in their genres) or
    ``popular``."""

    id: int
    kind: str
    title: str
    original_title: str | None = None
    year: int | None = None
    rating: float | None = Field(None, description="TMDB's average vote, 0–10")
    reason: Literal["liked", "genres", "popular"]
    because: list[str] = Field(default_factory=list)
    in_your_genres: bool = False


class DownloadRating(_Strict):
    """A rating of the title a download was, 1–10."""

    rating: int = Field(ge=1, le=10)


class ProposalRead(BaseModel):
    """A release offered to the person; their Add / Other options / Cancel take the token.
    The title is tracker data: shown as plain text, never followed."""

    token: str
    title: str
    size: int | None
    quality: str
    seeders: int | None
    indexer: str


class ConversationTurn(_Strict):
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), SINGLE_LINE
    ]


class AddResult(BaseModel):
    """``added``: the seedbox took it and the download is followed; ``magnet``: the person
    has no seedbox, here is the link."""

    status: Literal["added", "magnet"]
    download_id: int | None = None
    seedbox_id: int | None = None
    name: str
    magnet: str | None = None


class DownloadRead(BaseModel):
    id: int
    seedbox_id: int
    name: str
    title_id: int | None = Field(None, description="TMDB's id of the title, when known")
    title_kind: str | None = None
    size: int | None
    status: str
    progress: float
    done_at: datetime | None
    created_at: datetime

"""Releases, an indexer's capabilities, what a search asks for and the person's preferences.

A :class:`Release` never holds the indexer's API key: its ``link`` has it stripped (the
client puts it back only when it fetches the .torrent itself, see
``TorznabClient.torrent_source``). ``title`` and ``description`` are whatever the tracker
says (untrusted data: may carry markup or instructions aimed at a model; show as text).
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from pydantic import BaseModel, ConfigDict, Field


class SearchType(StrEnum):
    SEARCH = "search"
    MOVIE = "movie"
    TV = "tvsearch"


class Quality(IntEnum):
    """Video resolution read from a release's title; higher is better."""

    UNKNOWN = 0
    SD = 480
    HD720 = 720
    HD1080 = 1080
    UHD2160 = 2160


# Torznab's standard categories (newznab)
CAT_MOVIES = 2000
CAT_MOVIES_HD = 2040
CAT_MOVIES_UHD = 2045
CAT_TV = 5000


class IndexerCaps(BaseModel):
    """What ``t=caps`` told about an indexer (discovered once, cached)."""

    model_config = ConfigDict(frozen=True)

    server_title: str | None = None
    search_params: list[str] = Field(default_factory=lambda: ["q"])
    movie_params: list[str] = Field(default_factory=list)  # empty: t=movie unavailable
    tv_params: list[str] = Field(default_factory=list)
    categories: dict[int, str] = Field(default_factory=dict)  # id -> name, subcats included
    limit_max: int = 100

    @property
    def movie_search(self) -> bool:
        return bool(self.movie_params)

    @property
    def tv_search(self) -> bool:
        return bool(self.tv_params)


class SearchRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    query: str = ""
    type: SearchType = SearchType.SEARCH
    categories: list[int] = Field(default_factory=list)
    imdb_id: str | None = None  # "tt1234567"; sent only when the caps allow it
    tmdb_id: int | None = None
    season: int | None = None
    episode: int | None = None
    limit: int = 50


class Release(BaseModel):
    """One result of a search, as safe to show (no API key anywhere)."""

    model_config = ConfigDict(frozen=True)

    indexer: str  # the indexer's name as the person called it
    title: str
    guid: str  # as the indexer gave it, apikey stripped
    size: int | None = None  # bytes
    seeders: int | None = None
    peers: int | None = None
    category: list[int] = Field(default_factory=list)
    published: datetime | None = None
    infohash: str | None = None  # lower-case hex
    magnet: str | None = None  # magnet URI (the indexer's or built from the infohash)
    link: str | None = None  # the .torrent download link, apikey stripped
    link_key_param: str | None = None  # the query parameter the key was stripped from
    details_url: str | None = None  # the tracker's page (comments), apikey stripped
    description: str = ""
    imdb_id: str | None = None
    tmdb_id: int | None = None
    quality: Quality = Quality.UNKNOWN
    audio: list[str] = Field(default_factory=list)  # languages heard: "ru", "en", ...

    @property
    def addable(self) -> bool:
        return bool(self.magnet or self.link)


class ReleasePreferences(BaseModel):
    """What the person likes: quality (exact match first, then the nearest below, then above),
    audio languages (in order), and a size cap."""

    model_config = ConfigDict(frozen=True)

    quality: Quality | None = Quality.HD1080
    audio: list[str] = Field(default_factory=lambda: ["ru"])
    max_size: int | None = None  # bytes; bigger releases go last
    min_seeders: int = 1  # fewer: last (dead torrents)

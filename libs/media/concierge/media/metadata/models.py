"""What metadata providers answer, the same for TMDB and Kinopoisk.

A title's ``ref`` (``"tmdb:movie:329865"``, ``"kp:movie:409600"``) names it across
providers and is what callers keep (in buttons, in history) and pass back.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class MediaKind(StrEnum):
    MOVIE = "movie"
    TV = "tv"


class SearchKind(StrEnum):
    MOVIE = "movie"
    TV = "tv"
    MULTI = "multi"  # movies and TV together (people left out)


class Language(StrEnum):
    RU = "ru"
    EN = "en"


class Title(BaseModel):
    """One film or series as a search or recommendation lists it."""

    model_config = ConfigDict(frozen=True)

    source: str  # "tmdb" | "kinopoisk"
    id: int
    kind: MediaKind
    title: str  # in the language asked for, when the provider has it
    original_title: str | None = None
    year: int | None = None
    overview: str = ""
    rating: float | None = None  # 0..10
    votes: int | None = None
    poster_url: str | None = None
    imdb_id: str | None = None  # "tt2543164" when known (details always try)
    tmdb_id: int | None = None  # Kinopoisk names TMDB's id when it knows it
    genre_ids: list[int] = Field(default_factory=list)  # TMDB's genre ids (lists give them)

    @property
    def ref(self) -> str:
        return f"{self.source}:{self.kind.value}:{self.id}"


class Genre(BaseModel):
    """One of the provider's genres: its id and its name in the language asked for."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str


class SearchQuery(BaseModel):
    """A title search's arguments, as the providers receive them."""

    model_config = ConfigDict(frozen=True)

    query: str
    kind: SearchKind = SearchKind.MULTI
    language: Language = Language.RU
    year: int | None = None
    page: int = 1


class Discovery(BaseModel):
    """A discovery's arguments: popular titles of a kind, in any of ``genre_ids``."""

    model_config = ConfigDict(frozen=True)

    kind: MediaKind
    language: Language = Language.RU
    genre_ids: tuple[int, ...] = ()
    page: int = 1


class Credit(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    role: str  # "actor" | "director" | "writer" | ... (lower case)
    character: str | None = None


class TitleDetails(Title):
    """A title with its details and credits (cast first, in billing order)."""

    genres: list[str] = Field(default_factory=list)
    runtime_min: int | None = None
    countries: list[str] = Field(default_factory=list)
    credits: list[Credit] = Field(default_factory=list)
    seasons: int | None = None  # TV only

    @property
    def directors(self) -> list[str]:
        return [c.name for c in self.credits if c.role == "director"]

    @property
    def cast(self) -> list[str]:
        return [c.name for c in self.credits if c.role == "actor"]


class SearchPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    results: list[Title]
    page: int = 1
    total_pages: int = 1
    total_results: int = 0


class ImageSet(BaseModel):
    """Absolute image URLs (posters and backdrops), largest first as the provider orders them."""

    model_config = ConfigDict(frozen=True)

    posters: list[str] = Field(default_factory=list)
    backdrops: list[str] = Field(default_factory=list)

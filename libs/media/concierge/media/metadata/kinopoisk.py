"""Kinopoisk through the community API (``https://api.kinopoisk.dev``, key in ``X-API-KEY``).

Its names are Russian (``name``); English comes from ``enName`` or ``alternativeName``.
Recommendations are the title's ``similarMovies``; images its poster and backdrop. Free
keys allow about 200 requests a day, and a used-up quota is answered 403: cache hard
(``CachedMetadata``).
"""

from __future__ import annotations

from typing import Any

import httpx

from concierge.media.errors import BadResponse, NotFound
from concierge.media.http import media_client
from concierge.media.metadata.common import get_json, number, text
from concierge.media.metadata.models import (
    Credit,
    ImageSet,
    Language,
    MediaKind,
    SearchKind,
    SearchPage,
    Title,
    TitleDetails,
)

BASE_URL = "https://api.kinopoisk.dev"
TV_TYPES = {"tv-series", "animated-series", "mini-series"}
ROLES = {"actor": "actor", "director": "director", "writer": "writer"}
MAX_CAST = 10
PAGE_SIZE = 20


class KinopoiskClient:
    source = "kinopoisk"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = BASE_URL,
        allowed: frozenset[str] = frozenset(),
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.__key = api_key
        self._http = http or media_client(self.base_url, allowed=allowed, timeout=timeout)
        self.what = "Kinopoisk"

    def __repr__(self) -> str:
        return f"KinopoiskClient(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, **params: Any) -> Any:
        return await get_json(
            self._http,
            f"{self.base_url}{path}",
            what=self.what,
            params=params,
            headers={"X-API-KEY": self.__key},
            quota_on_403=True,
        )

    def _title(self, raw: dict[str, Any], language: Language) -> Title | None:
        if not isinstance(raw.get("id"), int):
            return None
        return Title(**_fields(raw, language))

    async def search(
        self,
        query: str,
        *,
        kind: SearchKind = SearchKind.MULTI,
        language: Language = Language.RU,
        year: int | None = None,
        page: int = 1,
    ) -> SearchPage:
        data = await self._get("/v1.4/movie/search", query=query[:200], page=page, limit=PAGE_SIZE)
        results = [
            t
            for raw in data.get("docs") or []
            if isinstance(raw, dict)
            for t in [self._title(raw, language)]
            if t is not None
            and (kind is SearchKind.MULTI or t.kind.value == kind.value)
            and (year is None or t.year == year)
        ]
        return SearchPage(
            results=results,
            page=data.get("page") if isinstance(data.get("page"), int) else page,
            total_pages=data.get("pages") if isinstance(data.get("pages"), int) else 1,
            total_results=data.get("total") if isinstance(data.get("total"), int) else len(results),
        )

    async def _movie(self, id: int) -> dict[str, Any]:
        raw = await self._get(f"/v1.4/movie/{id}")
        if not isinstance(raw.get("id"), int):
            raise NotFound("Kinopoisk has no such title")
        return raw

    async def details(
        self, id: int, *, kind: MediaKind, language: Language = Language.RU
    ) -> TitleDetails:
        raw = await self._movie(id)
        english = language is Language.EN
        people: list[Credit] = []
        for person in raw.get("persons") or []:
            if not isinstance(person, dict):
                continue
            role = ROLES.get(str(person.get("enProfession") or ""))
            name = (person.get("enName") if english else None) or person.get("name")
            if role and isinstance(name, str) and name:
                if role == "actor" and sum(c.role == "actor" for c in people) >= MAX_CAST:
                    continue
                people.append(
                    Credit(
                        name=name[:200],
                        role=role,
                        character=text(person.get("description"), 200) or None,
                    )
                )
        seasons = raw.get("seasonsInfo")
        return TitleDetails(
            **_fields(raw, language),
            genres=[
                text(g.get("name"), 100) for g in raw.get("genres") or [] if isinstance(g, dict)
            ],
            runtime_min=raw.get("movieLength") if isinstance(raw.get("movieLength"), int) else None,
            countries=[
                text(c.get("name"), 100) for c in raw.get("countries") or [] if isinstance(c, dict)
            ],
            credits=people,
            seasons=len(seasons) if isinstance(seasons, list) and seasons else None,
        )

    async def recommendations(
        self, id: int, *, kind: MediaKind, language: Language = Language.RU
    ) -> list[Title]:
        raw = await self._movie(id)
        return [
            t
            for similar in raw.get("similarMovies") or []
            if isinstance(similar, dict)
            for t in [self._title(similar, language)]
            if t is not None
        ]

    async def images(self, id: int, *, kind: MediaKind) -> ImageSet:
        raw = await self._movie(id)
        poster = _url(raw.get("poster"))
        backdrop = _url(raw.get("backdrop"))
        return ImageSet(
            posters=[poster] if poster else [], backdrops=[backdrop] if backdrop else []
        )


def _url(value: Any) -> str | None:
    if isinstance(value, dict):
        url = value.get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return url
    return None


def _fields(raw: dict[str, Any], language: Language) -> dict[str, Any]:
    russian = text(raw.get("name"), 300)
    english = text(raw.get("enName"), 300) or text(raw.get("alternativeName"), 300)
    shown = (english or russian) if language is Language.EN else (russian or english)
    if not shown:
        raise BadResponse("Kinopoisk described a title without a name")
    rating = _dict(raw.get("rating"))
    votes = _dict(raw.get("votes"))
    external = _dict(raw.get("externalId"))
    imdb = external.get("imdb")
    tmdb = external.get("tmdb")
    kp_rating = number(rating.get("kp"))
    return {
        "source": "kinopoisk",
        "id": raw["id"],
        "kind": MediaKind.TV
        if raw.get("type") in TV_TYPES or raw.get("isSeries") is True
        else MediaKind.MOVIE,
        "title": shown,
        "original_title": (english if shown == russian else russian) or None,
        "year": raw.get("year") if isinstance(raw.get("year"), int) else None,
        "overview": text(raw.get("description")) or text(raw.get("shortDescription")),
        "rating": kp_rating if kp_rating else number(rating.get("imdb")),
        "votes": votes.get("kp") if isinstance(votes.get("kp"), int) else None,
        "poster_url": _url(raw.get("poster")),
        "imdb_id": imdb if isinstance(imdb, str) and imdb.startswith("tt") else None,
        "tmdb_id": tmdb if isinstance(tmdb, int) else None,
    }


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}

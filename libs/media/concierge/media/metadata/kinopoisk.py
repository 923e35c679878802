"""Kinopoisk through the community API (``https://api.kinopoisk.dev``, key in ``X-API-KEY``).

Its names are Russian (``name``); English comes from ``enName`` or ``alternativeName``.
Recommendations are the title's ``similarMovies``; images its poster and backdrop. Free
keys allow about 200 requests a day, and a used-up quota is answered 403: cache hard
(``CachedMetadata``).
"""

from __future__ import annotations

from typing import Any

from concierge.media.errors import BadResponse, NotFound
from concierge.media.metadata import models as m
from concierge.media.metadata.common import MetadataClient, number, text

BASE_URL = "https://api.kinopoisk.dev"
TV_TYPES = {"tv-series", "animated-series", "mini-series"}
ROLES = {"actor": "actor", "director": "director", "writer": "writer"}
MAX_CAST = 10
PAGE_SIZE = 20


class KinopoiskClient(MetadataClient):
    source = "kinopoisk"
    what = "Kinopoisk"
    default_url = BASE_URL
    quota_on_403 = True

    def _auth(self, key: str, params: dict[str, Any]) -> dict[str, str]:
        return {"X-API-KEY": key}

    def _title(self, raw: dict[str, Any], language: m.Language) -> m.Title | None:
        if not isinstance(raw.get("id"), int):
            return None
        return m.Title(**_fields(raw, language))

    async def _search(self, q: m.SearchQuery) -> m.SearchPage:
        data = await self._get("/v1.4/movie/search", query=q.query, page=q.page, limit=PAGE_SIZE)
        results = [
            t
            for raw in data.get("docs") or []
            if isinstance(raw, dict)
            for t in [self._title(raw, q.language)]
            if t is not None
            and (q.kind is m.SearchKind.MULTI or t.kind.value == q.kind.value)
            and (q.year is None or t.year == q.year)
        ]
        return m.SearchPage(
            results=results,
            page=data.get("page") if isinstance(data.get("page"), int) else q.page,
            total_pages=data.get("pages") if isinstance(data.get("pages"), int) else 1,
            total_results=data.get("total") if isinstance(data.get("total"), int) else len(results),
        )

    async def _movie(self, id: int) -> dict[str, Any]:
        raw = await self._get(f"/v1.4/movie/{id}")
        if not isinstance(raw.get("id"), int):
            raise NotFound("Kinopoisk has no such title")
        return raw

    async def details(
        self, id: int, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> m.TitleDetails:
        raw = await self._movie(id)
        english = language is m.Language.EN
        people: list[m.Credit] = []
        for person in raw.get("persons") or []:
            if not isinstance(person, dict):
                continue
            role = ROLES.get(str(person.get("enProfession") or ""))
            name = (person.get("enName") if english else None) or person.get("name")
            if role and isinstance(name, str) and name:
                if role == "actor" and sum(c.role == "actor" for c in people) >= MAX_CAST:
                    continue
                people.append(
                    m.Credit(
                        name=name[:200],
                        role=role,
                        character=text(person.get("description"), 200) or None,
                    )
                )
        seasons = raw.get("seasonsInfo")
        return m.TitleDetails(
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
        self, id: int, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> list[m.Title]:
        raw = await self._movie(id)
        return [
            t
            for similar in raw.get("similarMovies") or []
            if isinstance(similar, dict)
            for t in [self._title(similar, language)]
            if t is not None
        ]

    async def images(self, id: int, *, kind: m.MediaKind) -> m.ImageSet:
        raw = await self._movie(id)
        poster = _url(raw.get("poster"))
        backdrop = _url(raw.get("backdrop"))
        return m.ImageSet(
            posters=[poster] if poster else [], backdrops=[backdrop] if backdrop else []
        )


def _url(value: Any) -> str | None:
    if isinstance(value, dict):
        url = value.get("url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return url
    return None


def _fields(raw: dict[str, Any], language: m.Language) -> dict[str, Any]:
    russian = text(raw.get("name"), 300)
    english = text(raw.get("enName"), 300) or text(raw.get("alternativeName"), 300)
    shown = (english or russian) if language is m.Language.EN else (russian or english)
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
        "kind": m.MediaKind.TV
        if raw.get("type") in TV_TYPES or raw.get("isSeries") is True
        else m.MediaKind.MOVIE,
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

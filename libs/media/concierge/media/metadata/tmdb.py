"""TMDB v3 (``https://api.themoviedb.org/3``).

The key is a v3 API key (sent as ``api_key``) or a v4 read token (a JWT, sent as a
Bearer header). Image URLs are built from ``/configuration`` (asked once per client).
Titles come in the language asked for (``ru-RU``/``en-US``); TMDB falls back to the
original title where it has no translation.
"""

from __future__ import annotations

from typing import Any

from concierge.media.errors import BadResponse
from concierge.media.metadata import models as m
from concierge.media.metadata.common import MetadataClient, number, text, year_of

BASE_URL = "https://api.themoviedb.org/3"
LOCALES = {m.Language.RU: "ru-RU", m.Language.EN: "en-US"}
POSTER_SIZE = "w500"
CREW_ROLES = {"Director": "director", "Screenplay": "writer", "Writer": "writer"}
MAX_CAST = 10


class TmdbClient(MetadataClient):
    source = "tmdb"
    what = "TMDB"
    default_url = BASE_URL

    def __init__(self, api_key: str, **options: Any) -> None:
        super().__init__(api_key, **options)
        self._image_base: str | None = None

    def _auth(self, key: str, params: dict[str, Any]) -> dict[str, str]:
        if key.startswith("eyJ"):
            return {"Authorization": f"Bearer {key}"}
        params["api_key"] = key
        return {}

    async def image_base(self) -> str:
        if self._image_base is None:
            config = await self._get("/configuration")
            images = _dict(config.get("images"))
            base = images.get("secure_base_url") or images.get("base_url")
            if not isinstance(base, str) or not base.startswith(("http://", "https://")):
                raise BadResponse("TMDB's configuration names no image address")
            self._image_base = base.rstrip("/") + "/"
        return self._image_base

    async def _poster(self, path: Any, size: str = POSTER_SIZE) -> str | None:
        if not isinstance(path, str) or not path.startswith("/"):
            return None
        return f"{await self.image_base()}{size}{path}"

    async def _title(self, raw: dict[str, Any], kind: m.MediaKind | None = None) -> m.Title | None:
        kind = kind or _kind(raw.get("media_type"))
        if kind is None or not isinstance(raw.get("id"), int):
            return None
        return m.Title(**await self._fields(raw, kind))

    async def _fields(self, raw: dict[str, Any], kind: m.MediaKind) -> dict[str, Any]:
        movie = kind is m.MediaKind.MOVIE
        external = _dict(raw.get("external_ids"))
        imdb = raw.get("imdb_id") or external.get("imdb_id")
        return {
            "source": self.source,
            "id": raw["id"],
            "kind": kind,
            "title": text(raw.get("title" if movie else "name"), 300) or "?",
            "original_title": text(raw.get("original_title" if movie else "original_name"), 300)
            or None,
            "year": year_of(raw.get("release_date" if movie else "first_air_date")),
            "overview": text(raw.get("overview")),
            "rating": number(raw.get("vote_average")),
            "votes": raw.get("vote_count") if isinstance(raw.get("vote_count"), int) else None,
            "poster_url": await self._poster(raw.get("poster_path")),
            "imdb_id": imdb if isinstance(imdb, str) and imdb.startswith("tt") else None,
            "tmdb_id": raw["id"],
            "genre_ids": _genre_ids(raw),
        }

    async def _search(self, q: m.SearchQuery) -> m.SearchPage:
        kind = q.kind
        year_param = None
        if q.year is not None:
            year_param = {"movie": "year", "tv": "first_air_date_year"}.get(kind.value)
        params: dict[str, Any] = {"query": q.query, "language": LOCALES[q.language], "page": q.page}
        if year_param:
            params[year_param] = q.year
        data = await self._get(f"/search/{kind.value}", **params)
        fixed = None if kind is m.SearchKind.MULTI else m.MediaKind(kind.value)
        results = await self._titles(data, fixed)
        return m.SearchPage(
            results=results,
            page=data.get("page") if isinstance(data.get("page"), int) else q.page,
            total_pages=data.get("total_pages") if isinstance(data.get("total_pages"), int) else 1,
            total_results=data.get("total_results")
            if isinstance(data.get("total_results"), int)
            else len(results),
        )

    async def details(
        self, id: int, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> m.TitleDetails:
        raw = await self._get(
            f"/{kind.value}/{id}",
            language=LOCALES[language],
            append_to_response="credits,external_ids",
        )
        if not isinstance(raw.get("id"), int):
            raise BadResponse("TMDB described the title oddly")
        credits = _dict(raw.get("credits"))
        people = [
            m.Credit(
                name=text(c.get("name"), 200),
                role="actor",
                character=text(c.get("character"), 200) or None,
            )
            for c in (credits.get("cast") or [])[:MAX_CAST]
            if isinstance(c, dict) and c.get("name")
        ] + [
            m.Credit(name=text(c.get("name"), 200), role=CREW_ROLES[c["job"]])
            for c in credits.get("crew") or []
            if isinstance(c, dict) and c.get("job") in CREW_ROLES and c.get("name")
        ]
        runtime = raw.get("runtime")
        if kind is m.MediaKind.TV:
            runtimes = raw.get("episode_run_time") or []
            runtime = runtimes[0] if runtimes else None
        return m.TitleDetails(
            **await self._fields(raw, kind),
            genres=[
                text(g.get("name"), 100) for g in raw.get("genres") or [] if isinstance(g, dict)
            ],
            runtime_min=runtime if isinstance(runtime, int) else None,
            countries=[
                text(c.get("iso_3166_1"), 8)
                for c in raw.get("production_countries") or []
                if isinstance(c, dict)
            ]
            or [text(c, 8) for c in raw.get("origin_country") or []],
            credits=people,
            seasons=raw.get("number_of_seasons")
            if isinstance(raw.get("number_of_seasons"), int)
            else None,
        )

    async def recommendations(
        self, id: int, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> list[m.Title]:
        data = await self._get(f"/{kind.value}/{id}/recommendations", language=LOCALES[language])
        return await self._titles(data, None, kind)

    async def _titles(
        self, data: dict[str, Any], fixed: m.MediaKind | None, default: m.MediaKind | None = None
    ) -> list[m.Title]:
        """A list answer's ``results``: ``fixed`` kind, else each one's ``media_type``,
        else ``default``."""
        return [
            t
            for raw in data.get("results") or []
            if isinstance(raw, dict)
            for t in [await self._title(raw, fixed or _kind(raw.get("media_type")) or default)]
            if t is not None
        ]

    async def genres(
        self, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> list[m.Genre]:
        data = await self._get(f"/genre/{kind.value}/list", language=LOCALES[language])
        return [
            m.Genre(id=g["id"], name=text(g.get("name"), 100) or str(g["id"]))
            for g in data.get("genres") or []
            if isinstance(g, dict) and isinstance(g.get("id"), int)
        ]

    async def _discover(self, q: m.Discovery) -> list[m.Title]:
        data = await self._get(
            f"/discover/{q.kind.value}",
            language=LOCALES[q.language],
            sort_by="popularity.desc",
            with_genres="|".join(str(g) for g in q.genre_ids) or None,  # "|": any of them
            page=q.page,
        )
        return await self._titles(data, q.kind)

    async def images(self, id: int, *, kind: m.MediaKind) -> m.ImageSet:
        data = await self._get(f"/{kind.value}/{id}/images")
        base = await self.image_base()

        def urls(key: str, size: str) -> list[str]:
            return [
                f"{base}{size}{i['file_path']}"
                for i in data.get(key) or []
                if isinstance(i, dict) and isinstance(i.get("file_path"), str)
            ][:20]

        return m.ImageSet(
            posters=urls("posters", POSTER_SIZE), backdrops=urls("backdrops", "w1280")
        )


def _kind(value: Any) -> m.MediaKind | None:
    return (
        {"movie": m.MediaKind.MOVIE, "tv": m.MediaKind.TV}.get(value)
        if isinstance(value, str)
        else None
    )


def _genre_ids(raw: dict[str, Any]) -> list[int]:
    """Lists name ``genre_ids``; details name ``genres`` with ids."""
    ids = raw.get("genre_ids")
    if not isinstance(ids, list):
        ids = [g.get("id") for g in raw.get("genres") or [] if isinstance(g, dict)]
    return [i for i in ids if isinstance(i, int) and not isinstance(i, bool)][:10]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}

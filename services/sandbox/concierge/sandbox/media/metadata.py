"""TMDB v3 (``/media/tmdb/3/…``, key ``sandbox-tmdb-key`` as ``api_key`` or a Bearer
token) and Kinopoisk (``/media/kinopoisk/v1.4/…``, ``X-API-KEY: sandbox-kinopoisk-key``)
over the catalogue. Faults: ``POST /sandbox/media/faults`` with service ``tmdb`` or
``kinopoisk``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from concierge.sandbox.media.catalogue import BY_KP, BY_TMDB, FILMS, GENRES, Film
from concierge.sandbox.media.faults import fault_response

router = APIRouter(tags=["media"])
TMDB_KEY = "sandbox-tmdb-key"
KINOPOISK_KEY = "sandbox-kinopoisk-key"
PAGE = 20


def _matches(film: Film, query: str) -> bool:
    query = " ".join(query.lower().split())
    if not query:
        return False
    names = [film.en.lower(), film.ru.lower(), film.original.lower()]
    words = query.split()
    return any(query in n or all(w in n for w in words) for n in names)


# --- TMDB -----------------------------------------------------------------------------


def _tmdb_refused(request: Request, authorization: str | None) -> Response | None:
    if request.query_params.get("api_key") == TMDB_KEY or authorization == f"Bearer {TMDB_KEY}":
        return None
    return JSONResponse(
        {
            "status_code": 7,
            "status_message": "Invalid API key: You must be granted a valid key.",
            "success": False,
        },
        status_code=401,
    )


def _tmdb_item(film: Film, language: str, request: Request, *, multi: bool) -> dict[str, Any]:
    ru = language.startswith("ru")
    movie = film.kind == "movie"
    date = f"{film.year}-01-01"
    item: dict[str, Any] = {
        "id": film.tmdb_id,
        "overview": film.overview_ru if ru else film.overview_en,
        "poster_path": f"/poster-{film.tmdb_id}.jpg",
        "vote_average": film.rating,
        "vote_count": 1000,
        "original_language": "ru" if film.original == film.ru else "en",
        "genre_ids": list(film.genre_ids),
        "popularity": film.popularity,
    }
    if movie:
        item |= {
            "title": film.ru if ru else film.en,
            "original_title": film.original,
            "release_date": date,
        }
    else:
        item |= {
            "name": film.ru if ru else film.en,
            "original_name": film.original,
            "first_air_date": date,
        }
    if multi:
        item["media_type"] = film.kind
    return item


async def _tmdb_guard(request: Request, authorization: str | None) -> Response | None:
    return await fault_response(request, "tmdb") or _tmdb_refused(request, authorization)


Auth = Annotated[str | None, Header()]


@router.get("/media/tmdb/3/configuration", include_in_schema=False)
async def tmdb_configuration(request: Request, authorization: Auth = None) -> Any:
    if refused := await _tmdb_guard(request, authorization):
        return refused
    base = f"{str(request.base_url).rstrip('/')}/media/tmdb/img/"
    return {
        "images": {
            "base_url": base,
            "secure_base_url": base,
            "poster_sizes": ["w92", "w185", "w500", "original"],
            "backdrop_sizes": ["w300", "w1280", "original"],
        }
    }


@router.get("/media/tmdb/3/search/{kind}", include_in_schema=False)
async def tmdb_search(
    request: Request,
    kind: str,
    query: str = "",
    language: str = "en-US",
    page: Annotated[int, Query(ge=1, le=500)] = 1,
    year: int | None = None,
    first_air_date_year: int | None = None,
    authorization: Auth = None,
) -> Any:
    if refused := await _tmdb_guard(request, authorization):
        return refused
    if kind not in ("movie", "tv", "multi"):
        return JSONResponse({"status_code": 34, "status_message": "Not found"}, status_code=404)
    wanted_year = year or first_air_date_year
    found = [
        f
        for f in FILMS
        if (kind == "multi" or f.kind == kind)
        and _matches(f, query)
        and (wanted_year is None or f.year == wanted_year)
    ]
    chunk = found[(page - 1) * PAGE : page * PAGE]
    return {
        "page": page,
        "results": [_tmdb_item(f, language, request, multi=kind == "multi") for f in chunk],
        "total_pages": max(1, -(-len(found) // PAGE)),
        "total_results": len(found),
    }


@router.get("/media/tmdb/3/genre/{kind}/list", include_in_schema=False)
async def tmdb_genres(
    request: Request, kind: str, language: str = "en-US", authorization: Auth = None
) -> Any:
    if refused := await _tmdb_guard(request, authorization):
        return refused
    if kind not in ("movie", "tv"):
        return _not_found()
    ru = language.startswith("ru")
    return {
        "genres": [{"id": g.id, "name": g.ru if ru else g.en} for g in GENRES if kind in g.kinds]
    }


@router.get("/media/tmdb/3/discover/{kind}", include_in_schema=False)
async def tmdb_discover(
    request: Request,
    kind: str,
    language: str = "en-US",
    with_genres: str = "",
    sort_by: str = "popularity.desc",
    page: Annotated[int, Query(ge=1, le=500)] = 1,
    authorization: Auth = None,
) -> Any:
    """``with_genres``: ids joined by ``,`` (all of them) or ``|`` (any of them)."""
    if refused := await _tmdb_guard(request, authorization):
        return refused
    if kind not in ("movie", "tv"):
        return _not_found()
    any_of = "|" in with_genres
    wanted = {int(g) for g in with_genres.replace("|", ",").split(",") if g.strip().isdigit()}
    found = [
        f
        for f in FILMS
        if f.kind == kind
        and (
            not wanted
            or (bool(wanted & set(f.genre_ids)) if any_of else wanted <= set(f.genre_ids))
        )
    ]
    found.sort(key=lambda f: f.popularity, reverse=sort_by == "popularity.desc")
    chunk = found[(page - 1) * PAGE : page * PAGE]
    return {
        "page": page,
        "results": [_tmdb_item(f, language, request, multi=False) for f in chunk],
        "total_pages": max(1, -(-len(found) // PAGE)),
        "total_results": len(found),
    }


def _film(kind: str, tmdb_id: int) -> Film | None:
    return BY_TMDB.get((kind, tmdb_id))


def _ordered(film: Film) -> list[tuple[str, int]]:
    kinds = {f.tmdb_id: f.kind for f in FILMS}
    return [(kinds[i], i) for i in film.recommendations if i in kinds]


def _not_found() -> JSONResponse:
    return JSONResponse(
        {"status_code": 34, "status_message": "The resource you requested could not be found."},
        status_code=404,
    )


@router.get("/media/tmdb/3/{kind}/{tmdb_id}", include_in_schema=False)
async def tmdb_details(
    request: Request,
    kind: str,
    tmdb_id: int,
    language: str = "en-US",
    append_to_response: str = "",
    authorization: Auth = None,
) -> Any:
    if refused := await _tmdb_guard(request, authorization):
        return refused
    film = _film(kind, tmdb_id)
    if film is None:
        return _not_found()
    ru = language.startswith("ru")
    item = _tmdb_item(film, language, request, multi=False)
    item |= {
        "genres": [
            {"id": i, "name": g}
            for i, g in zip(film.genre_ids, film.genres_ru if ru else film.genres_en, strict=True)
        ],
        "production_countries": [{"iso_3166_1": c, "name": c} for c in film.countries],
    }
    if film.kind == "movie":
        item |= {"runtime": film.runtime, "imdb_id": film.imdb_id}
    else:
        item |= {
            "episode_run_time": [film.runtime],
            "number_of_seasons": film.seasons,
            "origin_country": list(film.countries),
        }
    appended = {p.strip() for p in append_to_response.split(",")}
    if "credits" in appended:
        item["credits"] = {
            "cast": [{"name": a, "character": c, "order": i} for i, (a, c) in enumerate(film.cast)],
            "crew": [{"name": d, "job": "Director"} for d in film.directors],
        }
    if "external_ids" in appended:
        item["external_ids"] = {"imdb_id": film.imdb_id}
    return item


@router.get("/media/tmdb/3/{kind}/{tmdb_id}/recommendations", include_in_schema=False)
async def tmdb_recommendations(
    request: Request, kind: str, tmdb_id: int, language: str = "en-US", authorization: Auth = None
) -> Any:
    if refused := await _tmdb_guard(request, authorization):
        return refused
    film = _film(kind, tmdb_id)
    if film is None:
        return _not_found()
    similar = [BY_TMDB[k] for k in _ordered(film) if k in BY_TMDB]  # most relevant first
    return {
        "page": 1,
        "results": [_tmdb_item(f, language, request, multi=True) for f in similar],
        "total_pages": 1,
        "total_results": len(similar),
    }


@router.get("/media/tmdb/3/{kind}/{tmdb_id}/images", include_in_schema=False)
async def tmdb_images(request: Request, kind: str, tmdb_id: int, authorization: Auth = None) -> Any:
    if refused := await _tmdb_guard(request, authorization):
        return refused
    if _film(kind, tmdb_id) is None:
        return _not_found()
    return {
        "id": tmdb_id,
        "posters": [
            {"file_path": f"/poster-{tmdb_id}.jpg"},
            {"file_path": f"/poster-{tmdb_id}-2.jpg"},
        ],
        "backdrops": [{"file_path": f"/backdrop-{tmdb_id}.jpg"}],
    }


# --- Kinopoisk ------------------------------------------------------------------------


def _kp_item(film: Film, *, full: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": film.kp_id,
        "name": film.ru,
        "alternativeName": film.original if film.original != film.ru else None,
        "enName": film.en,
        "type": "tv-series" if film.kind == "tv" else "movie",
        "isSeries": film.kind == "tv",
        "year": film.year,
        "description": film.overview_ru,
        "rating": {"kp": film.rating, "imdb": film.rating},
        "votes": {"kp": 100000, "imdb": 500000},
        "poster": {"url": f"https://kp.example/poster/{film.kp_id}.jpg", "previewUrl": None},
        "externalId": {"imdb": film.imdb_id, "tmdb": film.tmdb_id},
    }
    if full:
        item |= {
            "genres": [{"name": g} for g in film.genres_ru],
            "countries": [{"name": c} for c in film.countries],
            "movieLength": film.runtime if film.kind == "movie" else None,
            "seasonsInfo": [{"number": n + 1} for n in range(film.seasons or 0)],
            "backdrop": {"url": f"https://kp.example/backdrop/{film.kp_id}.jpg"},
            "persons": [
                {
                    "name": a,
                    "enName": a,
                    "description": c,
                    "profession": "актеры",
                    "enProfession": "actor",
                }
                for a, c in film.cast
            ]
            + [
                {
                    "name": d,
                    "enName": d,
                    "description": None,
                    "profession": "режиссеры",
                    "enProfession": "director",
                }
                for d in film.directors
            ],
            "similarMovies": [
                _kp_item(f, full=False) for f in FILMS if f.tmdb_id in film.recommendations
            ],
        }
    return item


async def _kp_guard(request: Request, key: str | None) -> Response | None:
    if fault := await fault_response(request, "kinopoisk"):
        return fault
    if key != KINOPOISK_KEY:
        return JSONResponse(
            {
                "statusCode": 401,
                "message": "Переданный токен некорректен!",
                "error": "Unauthorized",
            },
            status_code=401,
        )
    return None


KpKey = Annotated[str | None, Header(alias="X-API-KEY")]


@router.get("/media/kinopoisk/v1.4/movie/search", include_in_schema=False)
async def kp_search(
    request: Request,
    query: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=250)] = 10,
    key: KpKey = None,
) -> Any:
    if refused := await _kp_guard(request, key):
        return refused
    found = [f for f in FILMS if _matches(f, query)]
    chunk = found[(page - 1) * limit : page * limit]
    return {
        "docs": [_kp_item(f, full=False) for f in chunk],
        "total": len(found),
        "limit": limit,
        "page": page,
        "pages": max(1, -(-len(found) // limit)),
    }


@router.get("/media/kinopoisk/v1.4/movie/{kp_id}", include_in_schema=False)
async def kp_movie(request: Request, kp_id: int, key: KpKey = None) -> Any:
    if refused := await _kp_guard(request, key):
        return refused
    film = BY_KP.get(kp_id)
    if film is None:
        return JSONResponse({"statusCode": 404, "message": "Фильм не найден"}, status_code=404)
    return _kp_item(film, full=True)

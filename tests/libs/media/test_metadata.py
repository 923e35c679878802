"""TMDB and Kinopoisk clients against their stand-ins over HTTP, one interface for both,
and the Redis cache in front of them (TTLs, hits and misses, errors never cached)."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from concierge.media.errors import (
    AuthFailed,
    BadResponse,
    NotFound,
    ProtocolUnsupported,
    RateLimited,
    TooLarge,
    Unreachable,
)
from concierge.media.metadata import Language, MediaKind, MetadataProvider, SearchKind
from concierge.media.metadata.cache import CACHE, CachedMetadata
from concierge.media.metadata.kinopoisk import KinopoiskClient
from concierge.media.metadata.tmdb import TmdbClient
from tests.libs.media.conftest import fault

TMDB_KEY = "sandbox-tmdb-key"
KP_KEY = "sandbox-kinopoisk-key"


def tmdb(sandbox_url: str, allowed: frozenset[str], key: str = TMDB_KEY) -> TmdbClient:
    return TmdbClient(key, base_url=f"{sandbox_url}/media/tmdb/3", allowed=allowed)


def kinopoisk(sandbox_url: str, allowed: frozenset[str], key: str = KP_KEY) -> KinopoiskClient:
    return KinopoiskClient(key, base_url=f"{sandbox_url}/media/kinopoisk", allowed=allowed)


async def calls(control, service: str) -> int:
    return int((await control.get("/calls")).json().get(service, 0))


class TestTmdb:
    async def test_search_in_russian_and_english(self, sandbox_url, allowed, control) -> None:
        client = tmdb(sandbox_url, allowed)
        ru = await client.search("прибытие", kind=SearchKind.MOVIE, language=Language.RU)
        en = await client.search("arrival", kind=SearchKind.MULTI, language=Language.EN)
        await client.aclose()
        assert [t.title for t in ru.results] == ["Прибытие"]
        assert ru.results[0].original_title == "Arrival"
        assert ru.results[0].ref == "tmdb:movie:329865"
        assert en.results[0].title == "Arrival"
        assert en.results[0].year == 2016
        assert en.results[0].poster_url == f"{sandbox_url}/media/tmdb/img/w500/poster-329865.jpg"

    async def test_details_with_credits_recommendations_and_images(
        self, sandbox_url, allowed, control
    ) -> None:
        client = tmdb(sandbox_url, allowed)
        details = await client.details(329865, kind=MediaKind.MOVIE, language=Language.EN)
        similar = await client.recommendations(329865, kind=MediaKind.MOVIE)
        images = await client.images(329865, kind=MediaKind.MOVIE)
        series = await client.details(87108, kind=MediaKind.TV, language=Language.RU)
        await client.aclose()
        assert details.imdb_id == "tt2543164"
        assert details.directors == ["Denis Villeneuve"]
        assert details.cast[0] == "Amy Adams"
        assert details.runtime_min == 116
        assert "Science Fiction" in details.genres
        assert {t.title for t in similar} == {"Интерстеллар", "Дюна", "Сталкер"}
        assert len(images.posters) == 2
        assert series.kind is MediaKind.TV
        assert series.seasons == 1
        assert series.title == "Чернобыль"

    async def test_genres_and_discover_with_their_ids(self, sandbox_url, allowed, control) -> None:
        client = tmdb(sandbox_url, allowed)
        en = await client.genres(kind=MediaKind.MOVIE, language=Language.EN)
        ru = await client.genres(kind=MediaKind.MOVIE, language=Language.RU)
        similar = await client.recommendations(329865, kind=MediaKind.MOVIE)
        crime = await client.discover(kind=MediaKind.MOVIE, genre_ids=(80,))
        either = await client.discover(kind=MediaKind.MOVIE, genre_ids=(80, 12))
        every = await client.discover(kind=MediaKind.MOVIE, language=Language.EN)
        series = await client.discover(kind=MediaKind.TV)
        await client.aclose()
        assert {g.id: g.name for g in en}[878] == "Science Fiction"
        assert {g.id: g.name for g in ru}[878] == "фантастика"
        assert {t.title: t.genre_ids for t in similar}["Дюна"] == [878, 12]
        assert [t.title for t in crime] == ["Брат"]
        assert {t.title for t in either} == {"Брат", "Дюна", "Интерстеллар"}
        assert {t.title for t in every} >= {"Arrival", "Brother"}
        assert all(t.kind is MediaKind.MOVIE for t in every)
        assert [t.title for t in series] == ["Чернобыль"]

    async def test_kinopoisk_has_no_genre_list(self, sandbox_url, allowed, control) -> None:
        client = kinopoisk(sandbox_url, allowed)
        with pytest.raises(ProtocolUnsupported):
            await client.genres(kind=MediaKind.MOVIE)
        with pytest.raises(ProtocolUnsupported):
            await client.discover(kind=MediaKind.MOVIE)
        assert "sandbox-kinopoisk-key" not in repr(client)
        await client.aclose()

    async def test_a_bearer_token_is_accepted_as_well(self, sandbox_url, allowed, control) -> None:
        # a v4 read token is a JWT: the stand-in takes the sandbox key either way, so here
        # the point is that a wrong JWT is refused like a wrong key
        client = tmdb(sandbox_url, allowed, key="eyJhbGciOiJIUzI1NiJ9.e30.wrong")
        with pytest.raises(AuthFailed):
            await client.search("arrival")
        await client.aclose()

    @pytest.mark.parametrize(
        ("kind", "error"),
        [
            ("500", Unreachable),
            ("malformed", BadResponse),
            ("huge", TooLarge),
            ("429", RateLimited),
        ],
    )
    async def test_bad_answers_are_typed(self, kind, error, sandbox_url, allowed, control) -> None:
        client = tmdb(sandbox_url, allowed)
        await fault(control, "tmdb", kind)
        with pytest.raises(error):
            await client.search("arrival")
        await client.aclose()

    async def test_a_wrong_key_and_an_unknown_id(self, sandbox_url, allowed, control) -> None:
        wrong = tmdb(sandbox_url, allowed, key="not-the-key")
        with pytest.raises(AuthFailed) as caught:
            await wrong.details(329865, kind=MediaKind.MOVIE)
        assert "not-the-key" not in str(caught.value)
        await wrong.aclose()
        client = tmdb(sandbox_url, allowed)
        with pytest.raises(NotFound):
            await client.details(999999, kind=MediaKind.MOVIE)
        await client.aclose()


class TestKinopoisk:
    async def test_russian_and_english_names(self, sandbox_url, allowed, control) -> None:
        client = kinopoisk(sandbox_url, allowed)
        ru = await client.search("интерстеллар")
        en = await client.search("interstellar", language=Language.EN)
        assert ru.results[0].title == "Интерстеллар"
        assert ru.results[0].ref == "kinopoisk:movie:258687"
        assert ru.results[0].tmdb_id == 157336
        assert en.results[0].title == "Interstellar"
        details = await client.details(258687, kind=MediaKind.MOVIE)
        assert details.directors == ["Christopher Nolan"]
        assert details.imdb_id == "tt0816692"
        similar = await client.recommendations(258687, kind=MediaKind.MOVIE)
        assert {t.title for t in similar} == {"Прибытие", "Дюна"}
        images = await client.images(258687, kind=MediaKind.MOVIE)
        assert images.backdrops
        series = await client.search("чернобыль", kind=SearchKind.TV)
        assert [t.kind for t in series.results] == [MediaKind.TV]
        await client.aclose()

    async def test_a_used_up_quota_is_rate_limited(self, sandbox_url, allowed, control) -> None:
        client = kinopoisk(sandbox_url, allowed)
        await fault(control, "kinopoisk", "403")
        with pytest.raises(RateLimited):
            await client.search("брат")
        await client.aclose()

    async def test_a_wrong_key(self, sandbox_url, allowed, control) -> None:
        client = kinopoisk(sandbox_url, allowed, key="nope-nope")
        with pytest.raises(AuthFailed):
            await client.search("брат")
        await client.aclose()


class TestCache:
    async def test_hits_misses_and_ttls(self, sandbox_url, allowed, control, redis: Redis) -> None:
        client = tmdb(sandbox_url, allowed)
        cached = CachedMetadata(client, redis)
        provider: MetadataProvider = cached  # the cache has the providers' interface
        first = await provider.search("Arrival", language=Language.EN)
        second = await provider.search("  arrival ", language=Language.EN)  # same query
        assert first == second
        details = await provider.details(329865, kind=MediaKind.MOVIE)
        assert await provider.details(329865, kind=MediaKind.MOVIE) == details
        await provider.recommendations(329865, kind=MediaKind.MOVIE)
        await provider.recommendations(329865, kind=MediaKind.MOVIE)
        await provider.genres(kind=MediaKind.MOVIE)
        await provider.genres(kind=MediaKind.MOVIE)
        await provider.discover(kind=MediaKind.MOVIE, genre_ids=(12, 80))
        await provider.discover(kind=MediaKind.MOVIE, genre_ids=(80, 12))  # the same set
        assert cached.stats == {"hit": 5, "miss": 5}
        assert cached.hit_ratio == 0.5
        search_key = cached.key(
            "search", q="arrival", kind="multi", language="en", year=None, page=1
        )
        details_key = cached.key("details", id=329865, kind="movie", language="ru")
        assert 3500 < await redis.ttl(search_key) <= 3600
        assert 86000 < await redis.ttl(details_key) <= 86400
        # a different language is a different answer
        await provider.search("Arrival", language=Language.RU)
        assert cached.stats["miss"] == 6
        await client.aclose()

    async def test_an_expired_entry_is_asked_again(
        self, sandbox_url, allowed, control, redis: Redis
    ) -> None:
        client = kinopoisk(sandbox_url, allowed)
        cached = CachedMetadata(client, redis, search_ttl_s=1)
        await cached.search("дюна")
        await cached.search("дюна")
        before = await calls(control, "kinopoisk")
        await asyncio.sleep(1.2)
        await cached.search("дюна")
        assert await calls(control, "kinopoisk") == before + 1
        assert cached.stats == {"hit": 1, "miss": 2}
        await client.aclose()

    async def test_errors_are_not_cached(self, sandbox_url, allowed, control, redis: Redis) -> None:
        client = kinopoisk(sandbox_url, allowed)
        cached = CachedMetadata(client, redis)
        await fault(control, "kinopoisk", "403")
        with pytest.raises(RateLimited):
            await cached.details(258687, kind=MediaKind.MOVIE)
        assert (await cached.details(258687, kind=MediaKind.MOVIE)).title == "Интерстеллар"
        await client.aclose()

    async def test_the_prometheus_counter_counts(
        self, sandbox_url, allowed, control, redis
    ) -> None:
        client = tmdb(sandbox_url, allowed)
        cached = CachedMetadata(client, redis)
        hits = CACHE.labels("tmdb", "images", "hit")
        before = hits._value.get()
        await cached.images(438631, kind=MediaKind.MOVIE)
        await cached.images(438631, kind=MediaKind.MOVIE)
        assert hits._value.get() == before + 1
        await client.aclose()

"""Personal recommendations from a person's history and ratings, in-process (real Postgres
rolled back, real Redis) against the sandbox's TMDB over HTTP: what they liked recommends,
what they disliked sinks, what they watched never comes back, their genres boost, an
empty history falls back to popular titles, another person's history is never read; the
genre list; bad ratings and unknown titles refused.

The sandbox's catalogue: Arrival recommends Interstellar, Dune, Stalker (in that order);
Leviathan recommends Stalker and Brother; Brother is crime, Dune adventure.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.identity.models import User
from concierge.domain.media.downloads.repository import DownloadRepository
from tests.libs.media.conftest import allowed, control, fault, media_sandbox, sandbox_url
from tests.services.api.media.test_endpoints import (
    VIEWER,
    app,
    build_app,
    clients,
    connect,
    media_settings,
    other,
    sign_in,
    viewer,
)

__all__ = ["allowed", "app", "clients", "control", "media_sandbox", "other", "sandbox_url"]
__all__ += ["viewer"]

ARRIVAL, DUNE, INTERSTELLAR, STALKER = 329865, 438631, 157336, 1398
LEVIATHAN, BROTHER, CHERNOBYL = 265180, 20992, 87108


@pytest.fixture(autouse=True)
def _fresh_sandbox(control: httpx.AsyncClient) -> None:
    """Every test here starts with the stand-ins reset (no faults left by another test)."""


async def rate(client: httpx.AsyncClient, title_id: int, title: str, rating: int | None) -> None:
    body: dict[str, Any] = {"title_id": title_id, "title": title, "rating": rating}
    response = await client.post("/media/history", json=body)
    assert response.status_code == 204, response.text


async def recommended(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/media/recommendations", params=params)
    assert response.status_code == 200, response.text
    return list(response.json())


def liked(items: list[dict[str, Any]]) -> list[str]:
    return [i["title"] for i in items if i["reason"] == "liked"]


class TestRecommendations:
    async def test_a_liked_title_recommends_and_watched_is_excluded(
        self, viewer: httpx.AsyncClient
    ) -> None:
        await rate(viewer, ARRIVAL, "Arrival", 9)
        items = await recommended(viewer)
        assert liked(items) == ["Интерстеллар", "Дюна", "Сталкер"]
        assert items[0]["because"] == ["Arrival"]
        assert "Прибытие" not in [i["title"] for i in items]  # watched
        # watching one of them takes it off the list
        await rate(viewer, INTERSTELLAR, "Interstellar", None)
        assert "Интерстеллар" not in [i["title"] for i in await recommended(viewer)]

    async def test_a_disliked_titles_recommendations_sink(self, viewer: httpx.AsyncClient) -> None:
        await rate(viewer, LEVIATHAN, "Leviathan", 9)  # recommends Stalker, then Brother
        assert liked(await recommended(viewer)) == ["Сталкер", "Брат"]
        await rate(viewer, ARRIVAL, "Arrival", 2)  # recommends Interstellar, Dune, Stalker
        items = await recommended(viewer)
        assert liked(items) == ["Брат", "Сталкер"]  # Stalker sank
        assert items[1]["because"] == ["Leviathan"]
        shown = [i["title"] for i in items]
        # what only the disliked title recommends is not offered, not even as popular
        assert "Интерстеллар" not in shown
        assert "Дюна" not in shown
        assert await recommended(viewer) == items  # the same answer again (cached calls)

    async def test_more_seeds_and_higher_ratings_rank_higher(
        self, viewer: httpx.AsyncClient
    ) -> None:
        await rate(viewer, DUNE, "Dune", 10)  # recommends Arrival, Interstellar
        await rate(viewer, STALKER, "Stalker", 7)  # recommends Arrival, Leviathan
        items = await recommended(viewer)
        assert liked(items)[:3] == ["Прибытие", "Интерстеллар", "Левиафан"]
        assert sorted(items[0]["because"]) == ["Dune", "Stalker"]

    async def test_preferred_genres_boost(self, viewer: httpx.AsyncClient) -> None:
        await rate(viewer, ARRIVAL, "Arrival", 9)
        assert liked(await recommended(viewer)) == ["Интерстеллар", "Дюна", "Сталкер"]
        response = await viewer.put("/media/preferences", json={"genres": ["Adventure"]})
        assert response.status_code == 200
        items = await recommended(viewer)
        assert liked(items) == ["Интерстеллар", "Дюна", "Сталкер"]
        assert [i["in_your_genres"] for i in items[:3]] == [True, True, False]
        # a Russian genre name is the same genre; drama lifts Stalker over Dune
        await viewer.put("/media/preferences", json={"genres": ["драма"]})
        assert liked(await recommended(viewer)) == ["Интерстеллар", "Сталкер", "Дюна"]

    async def test_an_empty_history_falls_back_to_popular_in_the_genres(
        self, viewer: httpx.AsyncClient
    ) -> None:
        items = await recommended(viewer)
        assert len(items) == 7
        assert {i["reason"] for i in items} == {"popular"}
        assert "Чернобыль" in [i["title"] for i in items]  # series too
        await viewer.put("/media/preferences", json={"genres": ["crime"]})
        items = await recommended(viewer)
        assert [(i["title"], i["reason"]) for i in items] == [("Брат", "genres")]
        # ratings below 'liked' are no seeds: still the fallback, watched still excluded
        await rate(viewer, BROTHER, "Brother", 6)
        assert await recommended(viewer) == []

    async def test_the_list_is_filled_and_capped(self, viewer: httpx.AsyncClient) -> None:
        await rate(viewer, ARRIVAL, "Arrival", 9)
        items = await recommended(viewer, limit=5)
        assert len(items) == 5
        assert [i["reason"] for i in items] == ["liked"] * 3 + ["popular"] * 2
        assert len(await recommended(viewer, limit=2)) == 2
        for bad in ("0", "21", "x"):
            response = await viewer.get("/media/recommendations", params={"limit": bad})
            assert response.status_code == 422

    async def test_another_persons_history_is_never_used(
        self, viewer: httpx.AsyncClient, other: httpx.AsyncClient
    ) -> None:
        await rate(other, ARRIVAL, "Arrival", 10)
        await other.put("/media/preferences", json={"genres": ["crime"]})
        items = await recommended(viewer)
        assert liked(items) == []
        assert {i["reason"] for i in items} == {"popular"}
        assert "Прибытие" in [i["title"] for i in items]  # the other's watched is not mine

    async def test_titles_come_in_the_callers_language(
        self, app: Any, session: AsyncSession
    ) -> None:
        async with AsyncExitStack() as stack:
            client = await sign_in(stack, app, 710_009)
            await session.execute(
                update(User).where(User.telegram_id == 710_009).values(language="en")
            )
            await rate(client, ARRIVAL, "Arrival", 9)
            items = await recommended(client)
            assert liked(items) == ["Interstellar", "Dune", "Stalker"]
            assert items[0]["because"] == ["Arrival"]

    async def test_tmdb_down_is_503(
        self, viewer: httpx.AsyncClient, control: httpx.AsyncClient
    ) -> None:
        await rate(viewer, ARRIVAL, "Arrival", 9)
        await fault(control, "tmdb", "500", times=5)
        response = await viewer.get("/media/recommendations")
        assert response.status_code == 503, response.text
        assert "TMDB" in response.json()["detail"]
        assert (await viewer.get("/media/genres")).status_code == 503


class TestGenres:
    async def test_the_genre_list_in_the_callers_language(self, viewer: httpx.AsyncClient) -> None:
        response = await viewer.get("/media/genres")
        assert response.status_code == 200
        genres = {g["id"]: g for g in response.json()}
        assert genres[878] == {"id": 878, "key": "science fiction", "name": "фантастика"}
        assert 10765 in genres  # series genres too
        assert len(genres) == len(response.json())


class TestHistoryInput:
    @pytest.mark.parametrize(
        "change",
        [
            {"rating": 0},
            {"rating": 11},
            {"rating": "nine"},
            {"rating": 7.5},
            {"title": "Arr\x00ival"},
            {"title": ""},
            {"title": "x" * 501},
            {"title_id": 0},
            {"title_id": "abc"},
            {"title_id": 2**60},
            {"kind": "book"},
            {"source": "imdb"},
            {"extra": 1},
        ],
    )
    async def test_bad_input_is_422(
        self, viewer: httpx.AsyncClient, change: dict[str, Any]
    ) -> None:
        body = {"title_id": ARRIVAL, "title": "Arrival", "rating": 8, **change}
        response = await viewer.post("/media/history", json=body)
        assert response.status_code == 422, response.text

    async def test_an_unknown_title_is_404_and_nothing_stored(
        self, viewer: httpx.AsyncClient
    ) -> None:
        body = {"title_id": 999_999, "title": "Nothing", "rating": 8}
        response = await viewer.post("/media/history", json=body)
        assert response.status_code == 404
        assert "999999" in response.json()["detail"]
        wrong_kind = {"title_id": ARRIVAL, "kind": "tv", "title": "Arrival", "rating": 8}
        assert (await viewer.post("/media/history", json=wrong_kind)).status_code == 404
        assert (await viewer.get("/media/history")).json() == []
        series = {"title_id": CHERNOBYL, "kind": "tv", "title": "Чернобыль", "rating": 10}
        assert (await viewer.post("/media/history", json=series)).status_code == 204

    async def test_tmdb_away_does_not_stop_a_rating(
        self, viewer: httpx.AsyncClient, control: httpx.AsyncClient
    ) -> None:
        await fault(control, "tmdb", "500")
        await rate(viewer, ARRIVAL, "Arrival", 8)
        assert [h["rating"] for h in (await viewer.get("/media/history")).json()] == [8]

    async def test_without_tmdb_recommendations_are_503(
        self, session: AsyncSession, redis: Redis, sandbox_url: str, allowed: frozenset[str]
    ) -> None:
        settings = media_settings(sandbox_url, allowed)
        settings.pop("media_tmdb_key")
        app = await build_app(session, redis, **settings)
        async with AsyncExitStack() as stack:
            client = await sign_in(stack, app, 710_010)
            await rate(client, 123, "Anything", 9)  # nothing to check it against: taken
            response = await client.get("/media/recommendations")
            assert response.status_code == 503
            assert "API_MEDIA_TMDB_KEY" in response.json()["detail"]


class TestRatingADownload:
    async def test_the_title_of_an_added_release_is_rated(
        self,
        viewer: httpx.AsyncClient,
        other: httpx.AsyncClient,
        sandbox_url: str,
        session: AsyncSession,
    ) -> None:
        seedbox_id = await connect(viewer, sandbox_url)
        releases = await viewer.get("/media/releases", params={"q": "Arrival", "tmdb_id": ARRIVAL})
        token = releases.json()[0]["token"]
        added = (await viewer.post(f"/media/proposals/{token}/add")).json()
        download_id = added["download_id"]
        (download,) = (await viewer.get("/media/downloads")).json()
        assert (download["title_id"], download["title_kind"]) == (ARRIVAL, "movie")
        path = f"/media/downloads/{download_id}/rating"
        for bad in ({"rating": 0}, {"rating": 11}, {"rating": "x"}, {}, {"rating": 5, "a": 1}):
            assert (await viewer.post(path, json=bad)).status_code == 422
        assert (await other.post(path, json={"rating": 9})).status_code == 404  # not theirs
        assert (
            await viewer.post("/media/downloads/999999/rating", json={"rating": 9})
        ).status_code == 404
        rated = await viewer.post(path, json={"rating": 9})
        assert rated.status_code == 200, rated.text
        assert (rated.json()["title"], rated.json()["rating"]) == ("Прибытие", 9)
        assert (await other.get("/media/history")).json() == []
        # it feeds the recommendations at once
        assert liked(await recommended(viewer)) == ["Интерстеллар", "Дюна", "Сталкер"]
        # again: the rating changes, the row stays one
        await viewer.post(path, json={"rating": 4})
        assert [h["rating"] for h in (await viewer.get("/media/history")).json()] == [4]
        # a release that named no title cannot be rated: 409, said why
        owner = await session.scalar(select(User.id).where(User.telegram_id == VIEWER))
        assert owner is not None
        bare = await DownloadRepository(session).record(
            user_id=owner, seedbox_id=seedbox_id, infohash="c" * 40, name="Some.Release.2020"
        )
        response = await viewer.post(f"/media/downloads/{bare.id}/rating", json={"rating": 8})
        assert response.status_code == 409
        assert "names no title" in response.json()["detail"]

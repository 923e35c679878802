"""The media desk's HTTP surface in-process (real Postgres rolled back, real Redis) against
the sandbox's stand-ins over real HTTP: connections tested before they are stored, the
button flow (titles → releases → Add), the NDJSON conversation, Other / Cancel, the
worker's service call, and what another person cannot reach."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.common.secret_box import SecretBox
from concierge.common.settings import SANDBOX_BOT_TOKEN
from concierge.sandbox.telegram.webapp import build_init_data
from tests.libs.media.conftest import allowed, control, fault, media_sandbox, sandbox_url
from tests.services.api.conftest import SERVICE_TOKEN, app_on_session

__all__ = ["allowed", "control", "media_sandbox", "sandbox_url"]

VIEWER, OTHER = 710_001, 710_002
ARRIVAL = 329865
KEY = SecretBox.new_key()
WebClient = Callable[[int], Awaitable[httpx.AsyncClient]]
FIND = [
    {"kind": "tool_calls", "calls": [{"name": "search_titles", "arguments": {"query": "Arrival"}}]},
    {
        "kind": "tool_calls",
        "calls": [
            {
                "name": "search_releases",
                "arguments": {"title": "Arrival", "tmdb_id": ARRIVAL, "quality": "1080p"},
            }
        ],
    },
    {"kind": "tool_calls", "calls": [{"name": "propose_release", "arguments": {"ref": 1}}]},
    {"kind": "reply", "text": "Arrival (2016) in 1080p. Add it?"},
]


def media_settings(sandbox_url: str, allowed: frozenset[str], **more: Any) -> dict[str, Any]:
    return {
        "media_secret_keys": SecretStr(KEY),
        "media_tmdb_url": f"{sandbox_url}/media/tmdb/3",
        "media_tmdb_key": SecretStr("sandbox-tmdb-key"),
        "media_allowed_private_hosts": allowed,
        **more,
    }


async def build_app(session: AsyncSession, redis: Redis, **settings: Any) -> FastAPI:
    app = app_on_session(session, **settings)
    app.state.redis = redis
    return app


async def sign_in(stack: AsyncExitStack, app: FastAPI, telegram_id: int) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://api/api/v1", timeout=30)
    )
    user = {"id": telegram_id, "first_name": f"User{telegram_id}", "language_code": "en"}
    init_data = build_init_data(SANDBOX_BOT_TOKEN, user)
    response = await client.post("/auth/telegram", headers={"Authorization": f"tma {init_data}"})
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return client


@pytest.fixture
async def app(
    session: AsyncSession, redis: Redis, sandbox_url: str, allowed: frozenset[str]
) -> FastAPI:
    return await build_app(session, redis, **media_settings(sandbox_url, allowed))


@pytest.fixture
async def clients(app: FastAPI) -> AsyncIterator[WebClient]:
    async with AsyncExitStack() as stack:

        async def signed_in(telegram_id: int) -> httpx.AsyncClient:
            return await sign_in(stack, app, telegram_id)

        yield signed_in


@pytest.fixture
async def viewer(clients: WebClient) -> httpx.AsyncClient:
    return await clients(VIEWER)


@pytest.fixture
async def other(clients: WebClient) -> httpx.AsyncClient:
    return await clients(OTHER)


@pytest.fixture
async def service(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://api/api/v1",
        headers={SERVICE_TOKEN_HEADER: SERVICE_TOKEN},
    ) as client:
        yield client


def indexer_body(sandbox_url: str, apikey: str = "sandbox-torznab-key") -> dict[str, Any]:
    return {"name": "home", "url": f"{sandbox_url}/media/torznab", "apikey": apikey}


def seedbox_body(sandbox_url: str, password: str = "sandbox", **more: Any) -> dict[str, Any]:  # noqa: S107
    return {
        "kind": "transmission",
        "url": f"{sandbox_url}/media/transmission/4.1.0",
        "username": "admin",
        "password": password,
        **more,
    }


async def connect(client: httpx.AsyncClient, sandbox_url: str, seedbox: bool = True) -> int | None:
    response = await client.post("/media/indexers", json=indexer_body(sandbox_url))
    assert response.status_code == 201, response.text
    if not seedbox:
        return None
    response = await client.post("/media/seedboxes", json=seedbox_body(sandbox_url))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def sandbox_torrents(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await control.get("/torrents")).json().get("transmission/4.1.0", []))


class TestPreferences:
    async def test_defaults_then_onboarding(self, viewer: httpx.AsyncClient) -> None:
        first = (await viewer.get("/media/preferences")).json()
        assert first == {
            "quality": 1080,
            "audio": ["ru"],
            "genres": [],
            "notify_done": True,
            "onboarded": False,
        }
        body = {"quality": 2160, "audio": ["en", "ru", "en"], "genres": ["Drama", "sci-fi"]}
        saved = await viewer.put("/media/preferences", json=body)
        assert saved.status_code == 200, saved.text
        assert saved.json() == {
            "quality": 2160,
            "audio": ["en", "ru"],
            "genres": ["drama", "sci-fi"],
            "notify_done": True,
            "onboarded": True,
        }
        again = await viewer.put("/media/preferences", json={"notify_done": False})
        assert again.json()["quality"] == 2160
        assert again.json()["notify_done"] is False

    @pytest.mark.parametrize(
        "body",
        [
            {"quality": 1081},
            {"quality": "best"},
            {"audio": ["russian"]},
            {"genres": ["dra\x00ma"]},
            {"genres": ["x" * 41]},
            {"genres": ["g"] * 21},
            {"unknown": 1},
        ],
    )
    async def test_bad_input_is_422(self, viewer: httpx.AsyncClient, body: dict[str, Any]) -> None:
        assert (await viewer.put("/media/preferences", json=body)).status_code == 422


class TestConnections:
    async def test_an_indexer_is_tested_then_stored_without_showing_its_key(
        self, viewer: httpx.AsyncClient, other: httpx.AsyncClient, sandbox_url: str
    ) -> None:
        wrong = await viewer.post("/media/indexers", json=indexer_body(sandbox_url, "wrong-key"))
        assert wrong.status_code == 422
        assert "refused the credentials" in wrong.json()["detail"]
        assert "wrong-key" not in wrong.text
        assert (await viewer.get("/media/indexers")).json() == []  # nothing stored
        added = await viewer.post("/media/indexers", json=indexer_body(sandbox_url))
        assert added.status_code == 201, added.text
        listed = await viewer.get("/media/indexers")
        assert "sandbox-torznab-key" not in listed.text
        assert [i["name"] for i in listed.json()] == ["home"]
        same = await viewer.post("/media/indexers", json=indexer_body(sandbox_url))
        assert same.status_code == 409
        indexer_id = added.json()["id"]
        assert (await other.delete(f"/media/indexers/{indexer_id}")).status_code == 404
        assert (await other.get("/media/indexers")).json() == []
        assert (await viewer.delete(f"/media/indexers/{indexer_id}")).status_code == 204
        assert (await viewer.delete(f"/media/indexers/{indexer_id}")).status_code == 404

    async def test_a_seedbox_is_tested_then_stored(
        self,
        viewer: httpx.AsyncClient,
        other: httpx.AsyncClient,
        service: httpx.AsyncClient,
        sandbox_url: str,
        control: httpx.AsyncClient,
        session: AsyncSession,
    ) -> None:
        wrong = await viewer.post("/media/seedboxes", json=seedbox_body(sandbox_url, "nope"))
        assert wrong.status_code == 422
        assert "refused the credentials" in wrong.json()["detail"]
        await fault(control, "transmission", "down", times=5)
        down = await viewer.post("/media/seedboxes", json=seedbox_body(sandbox_url))
        assert down.status_code == 422
        assert "Nothing saved" in down.json()["detail"]
        await control.post("/reset")
        lan = seedbox_body(sandbox_url)
        lan["url"] = "http://192.168.1.20:9091"
        refused = await viewer.post("/media/seedboxes", json=lan)
        assert refused.status_code == 422
        assert "mark it as on your LAN" in refused.json()["detail"]
        assert (await viewer.get("/media/seedboxes")).json() == []
        added = await viewer.post("/media/seedboxes", json=seedbox_body(sandbox_url))
        assert added.status_code == 201, added.text
        box = added.json()
        assert box["version"]
        assert "password" not in box
        stored = await session.scalar(
            text("SELECT password_secret FROM media_seedboxes WHERE id = :id"), {"id": box["id"]}
        )
        assert stored
        assert "sandbox" not in stored
        assert SecretBox([KEY]).open(stored) == "sandbox"
        # the worker's watcher: the connection with its password, for its person only
        user_id = await session.scalar(
            text("SELECT user_id FROM media_seedboxes WHERE id = :id"), {"id": box["id"]}
        )
        path = f"/media/service/seedboxes/{box['id']}"
        answer = await service.get(path, params={"user_id": user_id})
        assert answer.status_code == 200, answer.text
        assert answer.json()["password"] == "sandbox"
        assert answer.json()["kind"] == "transmission"
        assert (await service.get(path, params={"user_id": user_id + 1})).status_code == 404
        assert (await viewer.get(path, params={"user_id": user_id})).status_code == 401
        assert (await other.delete(f"/media/seedboxes/{box['id']}")).status_code == 404
        assert (await viewer.delete(f"/media/seedboxes/{box['id']}")).status_code == 204

    @pytest.mark.parametrize(
        "body",
        [
            {"kind": "utorrent", "url": "http://example.com:8080"},
            {"kind": "transmission", "url": "ftp://example.com"},
            {"kind": "transmission", "url": "http://exa\x00mple.com"},
            {"kind": "transmission", "url": "http://e.com/" + "a" * 3000},
            {"kind": "transmission", "url": 5},
            {"kind": "deluge", "url": "http://example.com", "deluge_host_id": "not hex"},
        ],
    )
    async def test_bad_seedbox_input_is_4xx(
        self, viewer: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        response = await viewer.post("/media/seedboxes", json=body)
        assert response.status_code == 422, response.text

    async def test_no_key_ring_means_no_credentials_stored(
        self, session: AsyncSession, redis: Redis, sandbox_url: str, allowed: frozenset[str]
    ) -> None:
        settings = media_settings(sandbox_url, allowed)
        settings.pop("media_secret_keys")
        app = await build_app(session, redis, **settings)
        async with AsyncExitStack() as stack:
            client = await sign_in(stack, app, VIEWER)
            response = await client.post("/media/indexers", json=indexer_body(sandbox_url))
        assert response.status_code == 503
        assert "API_MEDIA_SECRET_KEYS" in response.json()["detail"]


class TestButtons:
    async def test_search_pick_release_add_and_follow(
        self,
        viewer: httpx.AsyncClient,
        other: httpx.AsyncClient,
        sandbox_url: str,
        control: httpx.AsyncClient,
    ) -> None:
        seedbox_id = await connect(viewer, sandbox_url)
        titles = await viewer.get("/media/titles", params={"q": "Arrival"})
        assert titles.status_code == 200, titles.text
        arrival = next(t for t in titles.json() if t["id"] == ARRIVAL)
        releases = await viewer.get(
            "/media/releases", params={"q": "Arrival", "tmdb_id": arrival["id"], "quality": 1080}
        )
        assert releases.status_code == 200, releases.text
        best = releases.json()[0]
        assert best["title"].startswith("Arrival.2016.1080p")
        assert "sandbox-torznab-key" not in releases.text
        assert all("magnet" not in p and "link" not in p for p in releases.json())
        token = best["token"]
        # another person cannot take, cancel or see it
        assert (await other.post(f"/media/proposals/{token}/add")).status_code == 404
        assert (await other.post(f"/media/proposals/{token}/cancel")).status_code == 404
        added = await viewer.post(f"/media/proposals/{token}/add")
        assert added.status_code == 200, added.text
        result = added.json()
        assert result["status"] == "added"
        assert result["seedbox_id"] == seedbox_id
        (torrent,) = await sandbox_torrents(control)
        assert "Arrival" in json.dumps(torrent)
        downloads = (await viewer.get("/media/downloads")).json()
        assert [d["id"] for d in downloads] == [result["download_id"]]
        assert downloads[0]["status"] == "active"
        assert (await other.get("/media/downloads")).json() == []
        # the proposal is used up
        assert (await viewer.post(f"/media/proposals/{token}/add")).status_code == 404
        # deleting the connection takes its downloads with it
        assert (await viewer.delete(f"/media/seedboxes/{seedbox_id}")).status_code == 204
        assert (await viewer.get("/media/downloads")).json() == []

    async def test_other_options_and_cancel(
        self, viewer: httpx.AsyncClient, sandbox_url: str
    ) -> None:
        await connect(viewer, sandbox_url, seedbox=False)
        first = (await viewer.get("/media/releases", params={"q": "Arrival"})).json()[0]
        others = await viewer.post(f"/media/proposals/{first['token']}/other")
        assert others.status_code == 200, others.text
        assert others.json()
        assert all(p["title"] != first["title"] for p in others.json())
        assert all("Arrival" in p["title"] for p in others.json())
        assert (await viewer.post(f"/media/proposals/{first['token']}/add")).status_code == 404
        token = others.json()[0]["token"]
        assert (await viewer.post(f"/media/proposals/{token}/cancel")).status_code == 204
        assert (await viewer.post(f"/media/proposals/{token}/add")).status_code == 404
        assert (await viewer.post("/media/proposals/bad%00token/add")).status_code == 400
        assert (await viewer.post("/media/proposals/bad%20token/add")).status_code == 422

    async def test_without_a_seedbox_the_magnet_link(
        self, viewer: httpx.AsyncClient, sandbox_url: str, control: httpx.AsyncClient
    ) -> None:
        await connect(viewer, sandbox_url, seedbox=False)
        token = (await viewer.get("/media/releases", params={"q": "Arrival"})).json()[0]["token"]
        added = await viewer.post(f"/media/proposals/{token}/add")
        assert added.status_code == 200, added.text
        assert added.json()["status"] == "magnet"
        assert added.json()["magnet"].startswith("magnet:?xt=urn:btih:")
        assert await sandbox_torrents(control) == []

    async def test_a_seedbox_down_at_add_is_told_and_nothing_recorded(
        self, viewer: httpx.AsyncClient, sandbox_url: str, control: httpx.AsyncClient
    ) -> None:
        await connect(viewer, sandbox_url)
        token = (await viewer.get("/media/releases", params={"q": "Arrival"})).json()[0]["token"]
        await fault(control, "transmission", "down", times=10)
        added = await viewer.post(f"/media/proposals/{token}/add")
        assert added.status_code == 503
        assert "seedbox did not take the torrent" in added.json()["detail"]
        assert (await viewer.get("/media/downloads")).json() == []

    async def test_search_needs_an_indexer_and_bad_input_is_4xx(
        self, viewer: httpx.AsyncClient
    ) -> None:
        assert (await viewer.get("/media/releases", params={"q": "Arrival"})).status_code == 409
        for params in ({"q": ""}, {"q": "a\x00b"}, {"q": "x" * 201}):
            assert (await viewer.get("/media/titles", params=params)).status_code in (400, 422)
        bad = {"q": "Arrival", "quality": 1081}
        assert (await viewer.get("/media/releases", params=bad)).status_code == 422


class TestHistory:
    async def test_ratings_are_the_callers(
        self, viewer: httpx.AsyncClient, other: httpx.AsyncClient
    ) -> None:
        body = {"title_id": ARRIVAL, "title": "Arrival", "rating": 9}
        assert (await viewer.post("/media/history", json=body)).status_code == 204
        body["rating"] = 8
        assert (await viewer.post("/media/history", json=body)).status_code == 204
        (seen,) = (await viewer.get("/media/history")).json()
        assert (seen["title"], seen["rating"]) == ("Arrival", 8)
        assert (await other.get("/media/history")).json() == []
        for bad in ({**body, "rating": 11}, {**body, "title": "a\x00b"}, {**body, "kind": "x"}):
            assert (await viewer.post("/media/history", json=bad)).status_code == 422


class TestConversation:
    async def test_no_llm_is_503(self, viewer: httpx.AsyncClient) -> None:
        response = await viewer.post("/media/conversation", json={"text": "find Arrival"})
        assert response.status_code == 503
        assert "by buttons" in response.json()["detail"]

    async def test_a_turn_streams_a_proposal_that_the_button_adds(
        self,
        session: AsyncSession,
        redis: Redis,
        sandbox_url: str,
        allowed: frozenset[str],
        control: httpx.AsyncClient,
    ) -> None:
        async with httpx.AsyncClient(base_url=f"{sandbox_url}/sandbox/llm") as llm:
            (await llm.delete(sandbox_url + "/sandbox/llm")).raise_for_status()
            for step in FIND:
                (await llm.post("/faults", json=step)).raise_for_status()
        settings = media_settings(
            sandbox_url,
            allowed,
            llm_provider="openai",
            llm_base_url=f"{sandbox_url}/llm/openai/v1",
            llm_model="m",
        )
        app = await build_app(session, redis, **settings)
        async with AsyncExitStack() as stack:
            client = await sign_in(stack, app, VIEWER)
            await connect(client, sandbox_url)
            await client.delete("/media/conversation")
            async with client.stream(
                "POST", "/media/conversation", json={"text": "find Arrival in 1080p"}
            ) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("application/x-ndjson")
                events = [json.loads(line) async for line in response.aiter_lines() if line]
            assert events[-1] == {"type": "done", "text": "Arrival (2016) in 1080p. Add it?"}
            (proposal,) = [e for e in events if e["type"] == "proposal"]
            assert await sandbox_torrents(control) == []  # proposed, not added
            added = await client.post(f"/media/proposals/{proposal['token']}/add")
            assert added.status_code == 200, added.text
            assert added.json()["status"] == "added"
            assert len(await sandbox_torrents(control)) == 1
            bad = await client.post("/media/conversation", json={"text": "a\x00b"})
            assert bad.status_code == 422

"""Rate limits on /api/v1: per Mini App user when signed in, per client IP otherwise,
service callers exempt.

The api runs in-process on real Redis; the proxy tests run it under a real uvicorn
configured the way concierge.common.runner configures it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.identity.tokens import TokenIssuer
from concierge.api.main import create_app
from concierge.api.ratelimit import RateLimitMiddleware
from concierge.api.settings import ApiSettings
from concierge.common import runner
from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.db import get_session, get_side_session
from concierge.embedded import free_port
from tests.services.api.conftest import SERVICE_TOKEN
from tests.support.sessions import no_side_session

PATH = "/api/v1/users/1"  # the service token is checked after the limit: 401, not 429
ALICE, BOB = 700_101, 700_102

AppFactory = Callable[..., FastAPI]
Client = Callable[..., httpx.AsyncClient]


@pytest.fixture
def make_app(session: AsyncSession, redis: Redis) -> AppFactory:
    """``make_app(per_ip=..., per_user=...)``: the api as create_app builds it."""

    def build(**overrides: Any) -> FastAPI:
        settings = ApiSettings(service_token=SecretStr(SERVICE_TOKEN), **overrides)
        app = create_app(settings)

        async def test_session() -> AsyncIterator[AsyncSession]:
            async with session.begin_nested():
                yield session

        app.dependency_overrides[get_session] = test_session
        app.dependency_overrides[get_side_session] = no_side_session
        app.state.redis = redis  # what the lifespan opens
        return app

    return build


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    """``client(app, ip, **headers)``: calls arriving from that address."""
    opened: list[httpx.AsyncClient] = []

    def connect(app: FastAPI, ip: str = "198.51.100.1", **headers: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40_000))
        opened.append(
            httpx.AsyncClient(transport=transport, base_url="http://api", headers=headers)
        )
        return opened[-1]

    yield connect
    for http in opened:
        await http.aclose()


def bearer(user_id: int) -> str:
    secret = ApiSettings().jwt_secret.get_secret_value()
    return f"Bearer {TokenIssuer(secret).issue(user_id).access_token}"


async def spend(http: httpx.AsyncClient, calls: int) -> list[int]:
    return [(await http.get(PATH)).status_code for _ in range(calls)]


def assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["status_code"] == 429
    assert "Too many requests" in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-Request-ID"]  # inside the request-context middleware


class TestPerIp:
    async def test_the_101st_call_in_a_minute_is_refused(self, make_app, client):
        app = make_app()
        http = client(app, "198.51.100.1")
        assert set(await spend(http, 100)) == {401}
        assert_limited(await http.get(PATH))

    async def test_another_ip_is_not_affected(self, make_app, client):
        app = make_app(rate_limit_per_ip="3/minute")
        first = client(app, "198.51.100.1")
        await spend(first, 3)
        assert_limited(await first.get(PATH))
        assert (await client(app, "198.51.100.2").get(PATH)).status_code == 401

    async def test_retry_after_counts_down_from_the_window(self, make_app, client):
        app = make_app(rate_limit_per_ip="2/hour")
        http = client(app)
        await spend(http, 2)
        refused = await http.get(PATH)
        assert refused.status_code == 429
        assert 3590 <= int(refused.headers["Retry-After"]) <= 3600

    async def test_only_the_versioned_api_is_limited(self, make_app, client):
        app = make_app(rate_limit_per_ip="1/minute")
        http = client(app)
        assert {(await http.get("/health")).status_code for _ in range(5)} == {200}
        await spend(http, 1)
        assert_limited(await http.get("/api/v1/no-such-route"))

    async def test_an_invalid_session_token_counts_per_ip(self, make_app, client):
        app = make_app(rate_limit_per_ip="2/minute")
        http = client(app, Authorization="Bearer not-a-token")
        await spend(http, 2)
        assert_limited(await client(app).get(PATH))  # same IP, no token


class TestPerUser:
    async def test_a_user_is_counted_across_ips(self, make_app, client):
        app = make_app(rate_limit_per_ip="100/minute", rate_limit_per_user="4/minute")
        for ip in ("203.0.113.1", "203.0.113.2"):
            assert set(await spend(client(app, ip, Authorization=bearer(ALICE)), 2)) == {401}
        assert_limited(await client(app, "203.0.113.3", Authorization=bearer(ALICE)).get(PATH))
        # Other users, and anonymous calls, keep their own budgets.
        assert (
            await client(app, "203.0.113.3", Authorization=bearer(BOB)).get(PATH)
        ).status_code == 401
        assert set(await spend(client(app, "203.0.113.3"), 2)) == {401}

    async def test_users_behind_one_address_do_not_throttle_each_other(self, make_app, client):
        """A carrier NAT: many signed-in users, one IP. Each has the per-user budget; the
        per-IP budget is only for calls without a session."""
        app = make_app(rate_limit_per_ip="3/minute", rate_limit_per_user="10/minute")
        nat = "203.0.113.1"
        for user in (ALICE, BOB, 700_103, 700_104):
            assert set(await spend(client(app, nat, Authorization=bearer(user)), 10)) == {401}
        assert_limited(await client(app, nat, Authorization=bearer(ALICE)).get(PATH))
        # Anonymous calls from the same address still have their whole per-IP budget.
        anonymous = client(app, nat)
        assert set(await spend(anonymous, 3)) == {401}
        assert_limited(await anonymous.get(PATH))
        # A signed-in user is held by their own budget only, not by the address's.
        assert (await client(app, nat, Authorization=bearer(BOB)).get(PATH)).status_code == 429
        fresh = client(app, nat, Authorization=bearer(700_105))
        assert (await fresh.get(PATH)).status_code == 401

    async def test_signed_links_are_not_counted(self, make_app, client):
        app = make_app(rate_limit_per_ip="2/minute")
        http = client(app)
        for _ in range(5):
            response = await http.get("/api/v1/media/photos/1/x.jpg?expires=1&sig=x")
            assert response.status_code != 429
        assert set(await spend(http, 2)) == {401}


class TestServiceCallers:
    async def test_the_service_token_is_exempt(self, make_app, client):
        app = make_app(rate_limit_per_ip="2/minute")
        http = client(app, **{SERVICE_TOKEN_HEADER: SERVICE_TOKEN})
        assert set(await spend(http, 10)) == {404}  # past the token check: no such user

    async def test_a_wrong_service_token_is_counted(self, make_app, client):
        app = make_app(rate_limit_per_ip="2/minute")
        http = client(app, **{SERVICE_TOKEN_HEADER: "wrong-token-0123456789"})
        await spend(http, 2)
        assert_limited(await http.get(PATH))


class TestRedisTrouble:
    async def test_requests_pass_when_redis_is_down(self, make_app, client, caplog):
        app = make_app(rate_limit_per_ip="1/minute")
        down = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
        app.state.redis = down
        with caplog.at_level(logging.WARNING, logger="concierge.api.ratelimit"):
            assert set(await spend(client(app), 5)) == {401}
        assert any("rate limits are off" in r.getMessage() for r in caplog.records)
        await down.aclose()

    async def test_without_redis_nothing_is_counted(self, make_app, client):
        app = make_app(rate_limit_per_ip="1/minute")
        del app.state.redis
        assert set(await spend(client(app), 3)) == {401}

    async def test_can_be_switched_off(self, make_app, client):
        app = make_app(rate_limit_per_ip="1/minute", rate_limit_enabled=False)
        assert RateLimitMiddleware not in [m.cls for m in app.user_middleware]
        assert set(await spend(client(app), 3)) == {401}


@asynccontextmanager
async def served(app: FastAPI, forwarded_allow_ips: str) -> AsyncIterator[str]:
    """The app under a real uvicorn with the proxy settings run_service gives it."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "uvicorn did not start"
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class TestClientAddress:
    async def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(self, make_app):
        app = make_app(rate_limit_per_ip="3/minute")
        async with served(app, "10.255.255.1") as url, httpx.AsyncClient(base_url=url) as http:
            for n in range(3):
                forged = {"X-Forwarded-For": f"192.0.2.{n}"}
                assert (await http.get(PATH, headers=forged)).status_code == 401
            # All three counted against 127.0.0.1, the real peer.
            assert_limited(await http.get(PATH, headers={"X-Forwarded-For": "192.0.2.99"}))

    async def test_the_trusted_proxy_names_the_client(self, make_app):
        app = make_app(rate_limit_per_ip="2/minute")
        async with served(app, "127.0.0.1") as url, httpx.AsyncClient(base_url=url) as http:
            client_a = {"X-Forwarded-For": "192.0.2.10"}
            assert [(await http.get(PATH, headers=client_a)).status_code for _ in range(2)] == [
                401,
                401,
            ]
            assert_limited(await http.get(PATH, headers=client_a))
            other = await http.get(PATH, headers={"X-Forwarded-For": "192.0.2.11"})
            assert other.status_code == 401

    def test_run_service_trusts_only_the_configured_proxies(self, monkeypatch):
        seen: dict[str, Any] = {}
        monkeypatch.setattr(runner.uvicorn, "run", lambda app, **options: seen.update(options))
        monkeypatch.setattr(runner, "configure_logging", lambda *args: None)
        settings = ApiSettings(forwarded_allow_ips="172.18.0.5")
        runner.run_service("api", settings, lambda: FastAPI())
        assert seen["proxy_headers"] is True
        assert seen["forwarded_allow_ips"] == "172.18.0.5"

"""The watch poller in-process against the sandbox's appointment systems and the real
api (both ASGI apps over HTTP), on their own committed database and real Redis: the
poller opens its own transactions, as in production, so nothing here is rolled back;
the watch tables, outbox and users are emptied around each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from redis.asyncio import Redis

from concierge.api.main import create_app as create_api
from concierge.api.settings import ApiSettings
from concierge.common.http_client import ServiceClient
from concierge.common.settings import SANDBOX_BOT_TOKEN
from concierge.db import Database
from concierge.embedded import EmbeddedPostgres
from concierge.sandbox.appointments.state import Appointments
from concierge.sandbox.main import create_app as create_sandbox
from concierge.sandbox.telegram.webapp import build_init_data
from concierge.streams import JobQueue
from concierge.worker.settings import WorkerSettings
from concierge.worker.watch.poller import WatchPoller, user_agent
from tests.support.infra import emptied_database, migrated_database, worker_name

SERVICE_TOKEN = "test-service-token-0123456789"
ADMIN_ID = 900_101
CONTACT = "watch-ops@example.org"
ZMS_BASE = "http://sandbox/zms/api/backend/"
MUNICH_BOOKING = (
    "https://stadt.muenchen.de/buergerservice/terminvereinbarung.html"
    "#/services/{service}/locations/{office}"
)
TABLES = (
    "watch_slots, watches, watch_targets, watch_offices, watch_services, watch_providers, "
    "outbox, users"
)


@pytest.fixture(scope="session")
def watch_database_url(postgres: EmbeddedPostgres) -> str:
    return migrated_database(postgres, f"watch_{worker_name()}")


@pytest.fixture
async def database(watch_database_url: str) -> AsyncIterator[Database]:
    async with emptied_database(watch_database_url, TABLES) as database:
        yield database


@dataclass
class World:
    """Everything a watch test talks to."""

    api: FastAPI
    sandbox: FastAPI
    database: Database
    redis: Redis
    service: ServiceClient
    http: httpx.AsyncClient  # the poller's client to the providers
    control: httpx.AsyncClient  # the sandbox's control endpoints
    clients: AsyncExitStack

    @property
    def appointments(self) -> Appointments:
        state: Appointments = self.sandbox.state.appointments
        return state

    def settings(self, **values: Any) -> WorkerSettings:
        defaults: dict[str, Any] = {
            "service_token": SecretStr(SERVICE_TOKEN),
            "watch_contact": CONTACT,
            "watch_host_rate_per_min": 6000.0,
            "watch_host_burst": 50,
            "watch_breaker_base_s": 60.0,
            "watch_breaker_max_s": 3600.0,
        }
        return WorkerSettings(**{**defaults, **values})

    def poller(
        self, jitter: Callable[[float], float] | None = None, **settings: Any
    ) -> WatchPoller:
        extra = {} if jitter is None else {"jitter": jitter}
        return WatchPoller(
            self.database,
            self.redis,
            self.settings(**settings),
            http=self.http,
            api=self.service,
            **extra,
        )

    async def person(self, telegram_id: int, language: str = "en") -> httpx.AsyncClient:
        client = await self.clients.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=self.api), base_url="http://api")
        )
        user = {"id": telegram_id, "first_name": f"U{telegram_id}", "language_code": language}
        init_data = build_init_data(SANDBOX_BOT_TOKEN, user)
        response = await client.post(
            "/api/v1/auth/telegram", headers={"Authorization": f"tma {init_data}"}
        )
        assert response.status_code == 200, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        return client

    async def add_provider(self, **values: Any) -> None:
        admin = await self.person(ADMIN_ID)
        body = {
            "slug": "muc",
            "kind": "zms",
            "name": "München",
            "base_url": ZMS_BASE,
            "booking_url": MUNICH_BOOKING,
            "floor_interval_s": 180,
            **values,
        }
        response = await admin.post("/api/v1/admin/watch/providers", json=body)
        assert response.status_code == 201, response.text

    async def health(self) -> list[dict[str, Any]]:
        admin = await self.person(ADMIN_ID)
        response = await admin.get("/api/v1/admin/watch/targets")
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows


@pytest.fixture
async def world(database: Database, redis: Redis) -> AsyncIterator[World]:
    api = create_api(
        ApiSettings(
            service_token=SecretStr(SERVICE_TOKEN),
            admin_telegram_ids=frozenset({ADMIN_ID}),
            watch_failing_after=2,
        )
    )
    api.state.database, api.state.redis = database, redis
    api.state.jobs = JobQueue(redis, api.state.settings.jobs_stream)
    sandbox = create_sandbox()
    async with AsyncExitStack() as clients:
        service = ServiceClient(
            "http://api", SERVICE_TOKEN, transport=httpx.ASGITransport(app=api), attempts=1
        )
        clients.push_async_callback(service.aclose)
        http = await clients.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=sandbox),
                headers={"User-Agent": user_agent(CONTACT)},
            )
        )
        control = await clients.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url="http://sandbox")
        )
        yield World(api, sandbox, database, redis, service, http, control, clients)


Person = Callable[[int], Awaitable[httpx.AsyncClient]]

"""The Avito gateway over real HTTP: the sandbox's Avito emulator, the api (its app on
the test's rolled-back session, served by uvicorn so the gateway can fetch credentials
from it) and the gateway with its forwarder, each on a free port; real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from concierge.avito.main import create_app as create_gateway
from concierge.avito.settings import AvitoSettings
from concierge.common.http_client import ServiceClient
from concierge.contracts.avito import AvitoGatewayClient
from concierge.embedded.redis import EmbeddedRedis
from concierge.sandbox.main import create_app as create_sandbox
from tests.services.api.conftest import SERVICE_TOKEN
from tests.services.api.market.conftest import (  # noqa: F401 (fixtures)
    market_app,
    service,
    web_client,
)
from tests.services.bot.conftest import start_chat  # noqa: F401 (a fixture)
from tests.services.sandbox.conftest import sandbox_settings, serve_on

LANDLORD = 810_001
OTHER_LANDLORD = 810_002
AVITO_USER = 4_200_001
CLIENT_ID = "client-landlord-1"
CLIENT_SECRET = "secret-landlord-1-0123456789"
WEBHOOK_SECRET = "test-avito-webhook-secret-0123456789"


@dataclass
class AvitoStack:
    sandbox_url: str
    sandbox: httpx.AsyncClient  # the sandbox's controls and guest side
    sandbox_app: Any
    api_url: str
    gateway_url: str
    gateway_app: FastAPI
    client: AvitoGatewayClient
    redis: Redis

    async def landlord_account(
        self, user_id: int = AVITO_USER, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET
    ) -> None:
        response = await self.sandbox.post(
            "/sandbox/avito/accounts",
            json={"user_id": user_id, "client_id": client_id, "client_secret": secret,
                  "name": "Анна"},
        )  # fmt: skip
        assert response.status_code == 200, response.text

    async def item(self, user_id: int, title: str) -> int:
        response = await self.sandbox.post(
            "/sandbox/avito/items", json={"user_id": user_id, "title": title, "address": "Сочи"}
        )
        return int(response.json()["id"])

    async def booking(
        self, item_id: int, name: str, check_in: date, check_out: date, **fields: Any
    ) -> int:
        """A guest books the emulator's item (or, given ``id``, the booking changes, e.g.
        ``status="canceled"``); the booking's id."""
        response = await self.sandbox.post(
            "/sandbox/avito/bookings",
            json={"item_id": item_id, "name": name, "check_in": check_in.isoformat(),
                  "check_out": check_out.isoformat(), **fields},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        return int(response.json()["id"])

    async def fault(self, kind: str, times: int = 1) -> None:
        response = await self.sandbox.post(
            "/sandbox/avito/faults", json={"kind": kind, "times": times}
        )
        assert response.status_code == 200, response.text


@pytest.fixture
async def avito(
    market_app: FastAPI,  # noqa: F811
    redis: Redis,
    redis_server: EmbeddedRedis,
) -> AsyncIterator[AvitoStack]:
    sandbox_server, sandbox_app = await serve_on(lambda _: create_sandbox(sandbox_settings()))
    api_server, _ = await serve_on(lambda _: market_app, lifespan="off")  # set by hand
    gateway_settings = lambda url: AvitoSettings(  # noqa: E731
        _env_file=None,  # type: ignore[call-arg]
        log_json=False,
        api_url=api_server.url,
        base_url=f"{sandbox_server.url}/avito",
        public_url=url,
        redis_url=redis_server.url,
        service_token=SERVICE_TOKEN,
        webhook_secret=WEBHOOK_SECRET,
        attempts=3,
        max_backoff_s=2.0,
    )
    gateway_server, gateway_app = await serve_on(lambda url: create_gateway(gateway_settings(url)))
    market_app.state.settings.avito_url = gateway_server.url  # type: ignore[misc]
    http = ServiceClient(gateway_server.url, SERVICE_TOKEN, timeout=30.0)
    async with httpx.AsyncClient(base_url=sandbox_server.url, timeout=10) as sandbox:
        yield AvitoStack(
            sandbox_server.url,
            sandbox,
            sandbox_app,
            api_server.url,
            gateway_server.url,
            gateway_app,
            AvitoGatewayClient(http),
            redis,
        )
    await http.aclose()
    for server in (gateway_server, api_server, sandbox_server):
        await server.stop()

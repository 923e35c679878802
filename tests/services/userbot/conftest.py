"""The user-bot in-process over HTTP (ASGI), reading the sandbox's MTProto stand-in (an
ASGI app too), its session folder a temporary one. Admin alerts go to a recording ASGI app
that answers as the api's ``POST /api/v1/notifications/admins`` does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from concierge.common.http_client import ServiceClient
from concierge.contracts.userbot import UserbotClient
from concierge.sandbox.channels.state import ChannelWorld
from concierge.sandbox.main import create_app as create_sandbox
from concierge.userbot.gateway.sandbox_gateway import SandboxGateway
from concierge.userbot.main import create_app
from concierge.userbot.settings import UserbotSettings

SERVICE_TOKEN = "test-service-token-0123456789"


@dataclass
class Userbot:
    app: FastAPI
    sandbox: FastAPI
    client: UserbotClient
    http: httpx.AsyncClient  # raw calls to the user-bot, with the token
    control: httpx.AsyncClient  # the sandbox's controls
    session_dir: Path
    stack: AsyncExitStack

    @property
    def world(self) -> ChannelWorld:
        world: ChannelWorld = self.sandbox.state.channels
        return world

    def calls(self, method: str) -> int:
        return self.world.calls[method]


def settings(session_dir: Path, **values: Any) -> UserbotSettings:
    defaults: dict[str, Any] = {
        "service_token": SecretStr(SERVICE_TOKEN),
        "session_path": session_dir / "test.session",
        "join_interval_s": 0.0,
        "api_url": "http://api",
        "read_chunk": 100,
    }
    return UserbotSettings(**{**defaults, **values})


async def start(
    stack: AsyncExitStack, sandbox: FastAPI, session_dir: Path, **values: Any
) -> tuple[FastAPI, UserbotClient, httpx.AsyncClient]:
    """A user-bot app with its lifespan running, and clients to it."""
    gateway = SandboxGateway("http://sandbox", transport=httpx.ASGITransport(app=sandbox))
    app = create_app(settings(session_dir, **values), gateway)
    await stack.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app)
    service = ServiceClient("http://userbot", SERVICE_TOKEN, transport=transport, attempts=1)
    stack.push_async_callback(service.aclose)
    http = httpx.AsyncClient(
        transport=transport, base_url="http://userbot", headers={"X-Service-Token": SERVICE_TOKEN}
    )
    stack.push_async_callback(http.aclose)
    return app, UserbotClient(service), http


@pytest.fixture
async def userbot(tmp_path: Path) -> AsyncIterator[Userbot]:
    sandbox = create_sandbox()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(sandbox.router.lifespan_context(sandbox))
        app, client, http = await start(stack, sandbox, tmp_path)
        control = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sandbox), base_url="http://sandbox"
        )
        stack.push_async_callback(control.aclose)
        yield Userbot(app, sandbox, client, http, control, tmp_path, stack)

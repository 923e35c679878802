"""Fixtures that start real sandbox servers (and webhook receivers) on free ports."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
import uvicorn

from concierge.sandbox.main import create_app
from concierge.sandbox.settings import SandboxSettings
from concierge.sandbox.telegram.state import SandboxState

TOKEN = "123456789:AAE_test-token-0123456789abcdefghijk"
OTHER_TOKEN = "987654321:AAF_other-token-0123456789abcdefghij"


class _QuietServer(uvicorn.Server):
    """uvicorn without signal handlers: the test process keeps its own."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class RunningServer:
    url: str
    server: _QuietServer
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 10)


async def serve(app: Any, *, lifespan: str = "on") -> RunningServer:
    running, _ = await serve_on(lambda _: app, lifespan=lifespan)
    return running


async def serve_on(
    app_for: Callable[[str], Any], lifespan: str = "on"
) -> tuple[RunningServer, Any]:
    """Serve the app ``app_for(url)`` builds on a free port (it learns its own URL)."""
    # IPPROTO_TCP so asyncio sets TCP_NODELAY (else every answer waits ~40 ms for an ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = app_for(url)
    config = uvicorn.Config(
        app, log_config=None, lifespan=lifespan, ws="none", timeout_graceful_shutdown=2
    )
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    return RunningServer(url, server, task), app


@dataclass
class Sandbox:
    """A running sandbox with helpers for both sides of the conversation."""

    url: str
    app: Any
    http: httpx.AsyncClient
    token: str = TOKEN

    @property
    def state(self) -> SandboxState:
        state: SandboxState = self.app.state.sandbox
        return state

    async def call(self, method: str, token: str | None = None, **params: Any) -> httpx.Response:
        return await self.http.post(f"/bot{token or self.token}/{method}", json=params)

    async def ok(self, method: str, **params: Any) -> Any:
        response = await self.call(method, **params)
        body = response.json()
        assert response.status_code == 200, body
        assert body["ok"] is True
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        response = await self.call(method, **params)
        body = response.json()
        assert body["ok"] is False
        assert body["error_code"] == response.status_code
        return response.status_code, body

    async def user_says(self, user_id: int, text: str, **extra: Any) -> dict[str, Any]:
        response = await self.http.post(
            f"/sandbox/users/{user_id}/messages", json={"text": text, **extra}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def press(self, user_id: int, message_id: int, data: str) -> httpx.Response:
        return await self.http.post(
            f"/sandbox/users/{user_id}/callbacks", json={"message_id": message_id, "data": data}
        )

    async def history(self, chat_id: int) -> list[dict[str, Any]]:
        response = await self.http.get(f"/sandbox/chats/{chat_id}/messages")
        assert response.status_code == 200, response.text
        return response.json()

    async def stats(self) -> dict[str, Any]:
        return (await self.http.get("/sandbox/stats")).json()["bots"][self.token.split(":")[0]]


StartSandbox = Callable[..., Awaitable[Sandbox]]


def sandbox_settings(**overrides: Any) -> SandboxSettings:
    return SandboxSettings(_env_file=None, log_json=False, **overrides)  # type: ignore[call-arg]


@pytest.fixture
async def start_sandbox() -> AsyncIterator[StartSandbox]:
    """Start a sandbox with settings overrides; everything started is stopped after the test."""
    started: list[tuple[RunningServer, httpx.AsyncClient]] = []

    async def start(**overrides: Any) -> Sandbox:
        app = create_app(sandbox_settings(**overrides))
        running = await serve(app)
        http = httpx.AsyncClient(base_url=running.url, timeout=10, trust_env=False)
        started.append((running, http))
        sandbox = Sandbox(running.url, app, http)
        await sandbox.ok("getMe")
        return sandbox

    yield start
    for running, http in started:
        await http.aclose()
        await running.stop()


@pytest.fixture(scope="session")
async def shared_server() -> AsyncIterator[tuple[Any, RunningServer]]:
    """One sandbox with Telegram's own limits for the whole run; tests reset it."""
    app = create_app(sandbox_settings())
    running = await serve(app)
    yield app, running
    await running.stop()


@pytest.fixture
async def sandbox(shared_server: tuple[Any, RunningServer]) -> AsyncIterator[Sandbox]:
    """The shared sandbox, emptied, with the test bot known (it called getMe)."""
    app, running = shared_server
    await app.state.sandbox.reset()
    async with httpx.AsyncClient(base_url=running.url, timeout=10, trust_env=False) as http:
        sandbox = Sandbox(running.url, app, http)
        await sandbox.ok("getMe")
        yield sandbox


@dataclass
class Delivery:
    at: float
    headers: dict[str, str]
    update: dict[str, Any]

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def text(self) -> str | None:
        return self.update.get("message", {}).get("text")


Responder = Callable[[Delivery], Awaitable[tuple[int, dict[str, str]]]]


@dataclass
class Receiver:
    """A webhook endpoint that records deliveries and answers as the test says."""

    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    responder: Responder | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        delivery = Delivery(time.monotonic(), headers, orjson.loads(body))
        self.deliveries.append(delivery)
        self.arrived.set()
        status, extra = (200, {}) if self.responder is None else await self.responder(delivery)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in extra.items()],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"got {len(self.deliveries)} deliveries, wanted {count}"
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)
        return self.deliveries


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    running = await serve(endpoint, lifespan="off")
    endpoint.url = f"{running.url}/hook"
    yield endpoint
    await running.stop()


def png_image(width: int, height: int) -> bytes:
    """A real (tiny) PNG, built by hand."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def make_png() -> Callable[[int, int], bytes]:
    return png_image

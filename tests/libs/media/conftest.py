"""The media clients against the sandbox's stand-ins, over real HTTP: one sandbox process
for the session (on 127.0.0.1, which the clients reach only because the tests allow its
``host:port``, as make dev does), reset before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from concierge.common.safe_http import host_port
from concierge.embedded import ServiceProcess, free_port

ROOT = Path(__file__).resolve().parents[3]
TORRENT_SECONDS = 2.0


@pytest.fixture(scope="session")
def media_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    port = free_port()
    logs = tmp_path_factory.mktemp("media-sandbox")
    env = {
        "CONCIERGE_ENV": "test",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
        "SANDBOX_PORT": str(port),
        "SANDBOX_HOST": "127.0.0.1",
        "SANDBOX_MEDIA_TORRENT_SECONDS": str(TORRENT_SECONDS),
    }
    process = ServiceProcess("sandbox", port, env, logs / "sandbox.log").start()
    yield process
    process.stop()


@pytest.fixture
def sandbox_url(media_sandbox: ServiceProcess) -> str:
    return media_sandbox.url


@pytest.fixture
def allowed(media_sandbox: ServiceProcess) -> frozenset[str]:
    """The deployment's allow-list in tests: the sandbox only."""
    return frozenset({host_port("127.0.0.1", media_sandbox.port)})


@pytest.fixture
async def control(sandbox_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sandbox_url}/sandbox/media", timeout=10) as client:
        (await client.post("/reset")).raise_for_status()
        yield client


async def fault(control: httpx.AsyncClient, service: str, kind: str, times: int = 1) -> None:
    response = await control.post(
        "/faults", json={"service": service, "kind": kind, "times": times}
    )
    response.raise_for_status()

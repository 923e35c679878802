"""The media clients against the sandbox's stand-ins, over real HTTP: one sandbox process
for the session (on 127.0.0.1, which the clients reach only because the tests allow its
``host:port``, as make dev does), reset before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from concierge.common.safe_http import host_port
from concierge.embedded import ServiceProcess
from tests.support.media import TORRENT_SECONDS, media_sandbox_process

__all__ = ["TORRENT_SECONDS", "fault"]


@pytest.fixture(scope="session")
def media_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with media_sandbox_process(tmp_path_factory.mktemp("media-sandbox")) as process:
        yield process


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

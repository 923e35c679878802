"""The sandbox as the media desk's outside services, for tests: one process with fast
torrents, and what a test needs to reach it through the SSRF guard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from concierge.embedded import ServiceProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
TORRENT_SECONDS = 2.0


@contextmanager
def media_sandbox_process(logs: Path) -> Iterator[ServiceProcess]:
    port = free_port()
    env = {
        "CONCIERGE_ENV": "test",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
        "SANDBOX_PORT": str(port),
        "SANDBOX_HOST": "127.0.0.1",
        "SANDBOX_MEDIA_TORRENT_SECONDS": str(TORRENT_SECONDS),
    }
    process = ServiceProcess("sandbox", port, env, logs / "sandbox.log").start()
    try:
        yield process
    finally:
        process.stop()

"""The embedded Postgres and Redis with the stack's processes on them, for a bench."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from concierge.embedded import EmbeddedPostgres, EmbeddedRedis, free_port, wait_for_http
from concierge.embedded.processes import spawn
from concierge.embedded.stack import Stack


@contextmanager
def migrated_stack(root: Path, env: dict[str, str]) -> Iterator[tuple[EmbeddedPostgres, Stack]]:
    """Postgres (database ``bench``, migrated) and Redis started under ``root``, and the
    stack on them, not yet started; all of it stopped on the way out."""
    postgres = EmbeddedPostgres(root / "pg").start()
    redis = EmbeddedRedis(root / "redis").start()
    stack = Stack(postgres.url("bench"), redis.url, root / "logs", env)
    try:
        postgres.create_database("bench")
        subprocess.run([sys.executable, "-m", "concierge.api.migrate"],
                       env={**os.environ, **stack.env()}, check=True)  # fmt: skip
        yield postgres, stack
    finally:
        stack.stop()
        redis.stop()
        postgres.stop()


@contextmanager
def bare_asgi() -> Iterator[str]:
    """The bare ASGI app of ``bare_asgi.py`` under the services' uvicorn settings, the
    baseline a webhook's figures are read against; its URL."""
    port = free_port()
    bare = spawn([sys.executable, str(Path(__file__).parent / "bare_asgi.py"), str(port)])
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", 20, bare)
        yield f"http://127.0.0.1:{port}/"
    finally:
        bare.terminate()
        bare.wait()

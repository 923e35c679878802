"""The job queue must work on Redis 6.2 (embedded) and 7 (the compose image).

Tests that take ``any_redis`` run on both. Redis 7 is the first ``redis-server`` of
version 7 or later found in $REDIS7_SERVER or on the PATH (Debian's redis-server
package, which `make test` installs through infra/system-deps.sh).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.libs.streams.redis_versions import REDIS7_BINARY


@pytest.fixture(scope="session")
def redis7_url(scratch: Path) -> Iterator[str]:
    binary = REDIS7_BINARY
    assert binary is not None, (
        "no Redis 7 server: run `make system-deps` (Debian's redis-server) or set REDIS7_SERVER"
    )
    folder = scratch / "redis7"
    folder.mkdir()
    socket = folder / "redis.sock"
    process = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(socket), "--dir", str(folder),
         "--save", "", "--appendonly", "no", "--logfile", str(folder / "redis.log")]
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            assert process.poll() is None, "Redis 7 exited"
            assert time.monotonic() < deadline, "Redis 7 did not start"
            time.sleep(0.02)
        yield f"unix://{socket}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(params=["redis6.2", "redis7"])
async def any_redis(request: pytest.FixtureRequest, redis: Redis) -> AsyncIterator[Redis]:
    if request.param == "redis6.2":
        yield redis
        return
    client = Redis.from_url(request.getfixturevalue("redis7_url"), decode_responses=True)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()

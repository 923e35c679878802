"""Worker processes on free ports, over their own database and Redis db 3."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from concierge.db import Database
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis, ServiceProcess, free_port
from concierge.embedded.processes import wait_for_http
from concierge.embedding import BatchingEmbedder, EmbeddingSpec, load_embedder
from tests.support.infra import migrated_database
from tests.support.jobs import EFFECTS_DDL

ROOT = Path(__file__).resolve().parents[3]
WORKER_REDIS_DB = 3  # 0 is flushed by other tests, 1 is e2e's, 2 the deploy tests'
WORKER_DATABASE = "worker"
RECLAIM_AFTER_S = 2.0

# Every test worker process gets these unless a test says otherwise.
TEST_SETTINGS = {
    "WORKER_JOB_MODULES": "tests.support.jobs",
    "WORKER_RECLAIM_AFTER_S": str(RECLAIM_AFTER_S),
    "WORKER_RETRY_BASE_S": "0.1",
    "WORKER_RETRY_MAX_S": "0.5",
    "WORKER_CONCURRENCY": "4",
    "WORKER_STOP_GRACE_S": "3",
    "WORKER_SCHEDULER_ENABLED": "false",
    "WORKER_INGEST_ENABLED": "false",  # no ingest.poll schedule among the tests' ticks
    "WORKER_EMBEDDING_PRELOAD": "false",  # loaded on first use: no model load per start
    "WORKER_VECTORS_ENABLED": "false",  # the vector keeper is driven by hand in its tests
}


@dataclass
class Fleet:
    """Worker processes started by one test, all stopped when it ends."""

    database_url: str
    redis_url: str
    logs: Path
    processes: list[ServiceProcess] = field(default_factory=list)
    _settings: dict[int, dict[str, str]] = field(default_factory=dict)  # by port
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def start(self, count: int = 1, **settings: str) -> list[ServiceProcess]:
        """Start ``count`` workers at once; settings are WORKER_* values (lower-case names)."""
        started = [self._process(settings) for _ in range(count)]
        for process in started:
            process.start(wait=False)
        for process in started:
            assert process.process is not None
            wait_for_http(f"{process.url}/health", 60, process.process)
        return started

    def _process(self, settings: dict[str, str]) -> ServiceProcess:
        port = free_port()
        env = {
            "CONCIERGE_ENV": "test",
            "LOG_JSON": "true",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": self.database_url,
            "DATABASE_POOL_SIZE": "3",
            "REDIS_URL": self.redis_url,
            "WORKER_PORT": str(port),
            **TEST_SETTINGS,
            **{f"WORKER_{name.upper()}": value for name, value in settings.items()},
        }
        log = self.logs / f"worker-{next(self._numbers)}.log"
        process = ServiceProcess("worker", port, env, log)
        self.processes.append(process)
        self._settings[port] = settings
        return process

    def running(self) -> list[ServiceProcess]:
        return [p for p in self.processes if p.process is not None and p.process.poll() is None]

    def by_consumer(self, consumer: str) -> ServiceProcess:
        """The process behind a consumer name (``<host>-<pid>``)."""
        pid = int(consumer.rsplit("-", 1)[1])
        return next(p for p in self.running() if p.process and p.process.pid == pid)

    def restart_dead(self) -> int:
        """Like a container's restart policy: a worker that died is replaced."""
        dead = [p for p in self.processes if p.process is not None and p.process.poll() is not None]
        for process in dead:
            process.stop()
            self.processes.remove(process)
            self._process(self._settings[process.port]).start(wait=False)
        return len(dead)

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(
            "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            for path in sorted(self.logs.glob("*.log"))
        )


@pytest.fixture(scope="session")
def worker_database_url(postgres: EmbeddedPostgres) -> str:
    url = migrated_database(postgres, WORKER_DATABASE)
    postgres.psql(EFFECTS_DDL, database=WORKER_DATABASE)
    return url


@pytest.fixture(scope="session")
def worker_redis_url(redis_server: EmbeddedRedis) -> str:
    return f"{redis_server.url}?db={WORKER_REDIS_DB}"


@pytest.fixture
async def db(worker_database_url: str) -> AsyncIterator[AsyncEngine]:
    """The workers' database, emptied of effects, schedules and embedding models (a model
    left active by another test would embed the queries) before each test."""
    engine = create_async_engine(worker_database_url)
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM job_effects"))
        await connection.execute(text("DELETE FROM schedules"))
        await connection.execute(text("DELETE FROM embedding_models"))
    yield engine
    await engine.dispose()


@pytest.fixture
async def database(worker_database_url: str, db: AsyncEngine) -> AsyncIterator[Database]:
    database = Database(worker_database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def wredis(worker_redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(worker_redis_url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def fleet(
    worker_database_url: str, worker_redis_url: str, scratch: Path, request: pytest.FixtureRequest
) -> Iterator[Fleet]:
    logs = scratch / "worker-logs" / request.node.name
    logs.mkdir(parents=True)
    workers = Fleet(worker_database_url, worker_redis_url, logs)
    try:
        yield workers
    finally:
        workers.stop()


async def eventually(
    check: Callable[[], object], timeout_s: float, why: Callable[[], str] = lambda: ""
) -> float:
    """Wait until check() (plain or async) returns something true; returns the seconds taken."""
    started = time.monotonic()
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return time.monotonic() - started
        assert time.monotonic() - started < timeout_s, f"not reached in {timeout_s} s\n{why()}"
        await asyncio.sleep(0.05)


@pytest.fixture(scope="session")
def embedder() -> Iterator[BatchingEmbedder]:
    """The default backend's model, loaded once for every worker test that embeds."""
    model = BatchingEmbedder(load_embedder(EmbeddingSpec()))
    yield model
    model.close()

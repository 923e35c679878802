"""The api in-process with its lifespan (search state, worker client), a real worker
process for embeddings, and the test's rolled-back session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.main import create_app
from concierge.api.settings import ApiSettings
from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.common.http_client import ServiceClient
from concierge.contracts.worker_client import WorkerClient
from concierge.db import get_session, get_side_session
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis, ServiceProcess, free_port
from tests.services.api.conftest import SERVICE_TOKEN
from tests.support.infra import migrated_database, worker_name
from tests.support.sessions import no_side_session

ROOT = Path(__file__).resolve().parents[4]
WORKER_REDIS_DB = 5  # 0 is flushed by other tests, 1-3 are e2e's, deploy's and the worker's

StartApi = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def embedding_worker(
    postgres: EmbeddedPostgres, redis_server: EmbeddedRedis, scratch: Path
) -> Iterator[str]:
    """A real worker process, for query (and the tests' passage) embeddings. It gets a
    database and a Redis db of its own and runs no jobs of ours."""
    database = f"search_worker_{worker_name()}"
    port = free_port()
    env = {
        "CONCIERGE_ENV": "test",
        "LOG_JSON": "true",
        "PYTHONPATH": str(ROOT),
        "SERVICE_TOKEN": SERVICE_TOKEN,
        "DATABASE_URL": migrated_database(postgres, database),
        "DATABASE_POOL_SIZE": "2",
        "REDIS_URL": f"{redis_server.url}?db={WORKER_REDIS_DB}",
        "WORKER_PORT": str(port),
        "WORKER_SCHEDULER_ENABLED": "false",
        "WORKER_INGEST_ENABLED": "false",
    }
    process = ServiceProcess("worker", port, env, scratch / f"search-worker-{port}.log")
    process.start(timeout_s=60)
    try:
        yield process.url
    finally:
        process.stop()


@pytest.fixture(scope="session")
async def worker_client(embedding_worker: str) -> AsyncIterator[WorkerClient]:
    async with ServiceClient(embedding_worker, SERVICE_TOKEN, timeout=60) as http:
        client = WorkerClient(http)
        await client.embed(["warm up"])  # the worker loads its model on first use
        yield client


@pytest.fixture
async def start_api(
    session: AsyncSession, database_url: str, worker_client: WorkerClient, embedding_worker: str
) -> AsyncIterator[StartApi]:
    """Start the api (lifespan included) with settings overrides, on the test's session."""
    stack: list[Any] = []

    async def start(**overrides: Any) -> httpx.AsyncClient:
        values: dict[str, Any] = {
            "service_token": SecretStr(SERVICE_TOKEN),
            "database_url": database_url,
            "worker_url": embedding_worker,
            **overrides,
        }
        app = create_app(ApiSettings(_env_file=None, **values))  # type: ignore[call-arg]

        async def test_session() -> AsyncIterator[AsyncSession]:
            async with session.begin_nested():
                yield session

        app.dependency_overrides[get_session] = test_session
        app.dependency_overrides[get_side_session] = no_side_session
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://api",
            headers={SERVICE_TOKEN_HEADER: SERVICE_TOKEN},
            timeout=30,
        )
        stack.append((lifespan, client))
        return client

    yield start
    for lifespan, client in reversed(stack):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def api(start_api: StartApi) -> httpx.AsyncClient:
    """The api with default settings (hybrid search through the real worker)."""
    return await start_api()

"""End to end: sandbox, api and bot as real processes over real Postgres and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from concierge.bot.settings import SANDBOX_BOT_TOKEN
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis
from tests.e2e.figures import Publish, publisher, summary
from tests.support.infra import migrated_database
from tests.support.sandbox import SandboxUser
from tests.support.stack import Stack

E2E_REDIS_DB = 1  # other tests flush db 0
# The stack's bot. Named explicitly: the sandbox's user side otherwise talks to the bot
# that called it last, which after test_polling is a bot that has stopped.
BOT_ID = int(SANDBOX_BOT_TOKEN.split(":")[0])
# The feed's nudges in seconds rather than days (test_feed: idle → nudge → churned): idle
# for 0.0001 days (8.6 s), one unanswered nudge churns, the worker asks every 2 s. Only
# feed readers are nudged, and only test_feed makes one.
FEED_NUDGES = {
    "API_FEED_NUDGE_AFTER_DAYS": "0.0001",
    "API_FEED_NUDGE_MAX_IGNORED": "1",
    "WORKER_FEED_NUDGE_EVERY_S": "2",
}


@pytest.fixture(scope="session")
def e2e_database_url(postgres: EmbeddedPostgres) -> str:
    return migrated_database(postgres, "e2e")


@pytest.fixture(scope="session")
def e2e_redis_url(redis_server: EmbeddedRedis) -> str:
    return f"{redis_server.url}?db={E2E_REDIS_DB}"


@pytest.fixture(scope="session")
def stack(e2e_database_url: str, e2e_redis_url: str, scratch: Path) -> Iterator[Stack]:
    running = Stack(e2e_database_url, e2e_redis_url, scratch / "e2e-logs", extra_env=FEED_NUDGES)
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture
async def e2e_db(e2e_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(e2e_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def e2e_redis(e2e_redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(e2e_redis_url, decode_responses=True)
    yield client
    await client.aclose()


_next_user = iter(range(810_000, 820_000))


@pytest.fixture
async def user(stack: Stack) -> AsyncIterator[SandboxUser]:
    """A Telegram user nobody has seen yet, talking to the bot through the sandbox."""
    async with SandboxUser.connect(stack.url("sandbox"), next(_next_user), BOT_ID) as person:
        yield person


@pytest.fixture
async def other_user(stack: Stack) -> AsyncIterator[SandboxUser]:
    """A second new user, for tests of one user's trouble not reaching another."""
    async with SandboxUser.connect(stack.url("sandbox"), next(_next_user), BOT_ID) as person:
        yield person


@pytest.fixture
def figure(pytestconfig: pytest.Config) -> Publish:
    """Publishes a measured figure in the run's summary (and test-artifacts/)."""
    return publisher(pytestconfig)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    summary(terminalreporter, config)

"""Browser tests: Debian's Chromium, driven by Playwright, against the real stack.

One stack (sandbox, api serving the Mini App at /app/, bot, worker) over its own
database and Redis db, one headless Chromium for the session, a fresh browser context
for every sandbox user of every test. Screenshots go to test-artifacts/browser/.

Chromium comes from Debian (``infra/system-deps.sh`` installs it): Playwright's own
browser download is never used, and a missing Chromium fails the tests, it skips nothing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from concierge.embedded import EmbeddedPostgres, EmbeddedRedis
from tests.browser.pages import (
    ARTIFACTS,
    DEFAULT_TIMEOUT_MS,
    ROOT,
    SLOW_TIMEOUT_MS,
    ChatFactory,
    ChatPage,
    Screenshots,
)
from tests.support.infra import migrated_database
from tests.support.stack import Stack

WEBAPP_DIST = ROOT / "webapp" / "dist"
BROWSER_REDIS_DB = 6  # 0 is flushed by other tests; 1-5 belong to other stacks
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str:
    """Debian's Chromium, or CHROMIUM_PATH; fails (never skips) when there is none."""
    candidates = [os.environ.get("CHROMIUM_PATH", ""), *CHROMIUM_CANDIDATES]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    pytest.fail(
        "Chromium is missing: the browser tests drive Debian's Chromium. "
        "Run `bash infra/system-deps.sh` (or `make system-deps`; as root it runs "
        "`apt-get install chromium`), or set CHROMIUM_PATH to a Chromium binary.",
        pytrace=False,
    )


# --- the stack ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_database_url(postgres: EmbeddedPostgres) -> str:
    return migrated_database(postgres, "browser")


@pytest.fixture(scope="session")
def browser_stack(
    browser_database_url: str, redis_server: EmbeddedRedis, scratch: Path
) -> Iterator[Stack]:
    if not (WEBAPP_DIST / "index.html").is_file():
        pytest.fail(
            "webapp/dist is not built: run `make webapp` (the api serves it at /app/)",
            pytrace=False,
        )
    logs = scratch / "browser-logs"
    running = Stack(browser_database_url, f"{redis_server.url}?db={BROWSER_REDIS_DB}", logs)
    # The api serves the Mini App itself (api and bot link to it there), takes the photo
    # uploads at its own address and keeps them on disk, where the worker reads them.
    running.extra_env.update(
        {
            "WEBAPP_URL": f"{running.url('api')}/app/",
            "API_WEBAPP_DIR": str(WEBAPP_DIST),
            "API_PUBLIC_URL": running.url("api"),
            "STORAGE_BACKEND": "local",
            "STORAGE_LOCAL_DIR": str(scratch / "browser-uploads"),
        }
    )
    try:
        yield running.start()
    finally:
        running.stop()
        # The services' logs are kept next to the screenshots.
        if logs.is_dir():
            shutil.copytree(logs, ARTIFACTS / "logs", dirs_exist_ok=True)


@pytest.fixture
async def wait_until_indexed(
    browser_stack: Stack, browser_database_url: str
) -> AsyncIterator[Callable[[int], Awaitable[None]]]:
    """Waits for the worker to put an approved listing into the search index (its
    ``listings.document_id``): the first job after start also loads the embedding model."""
    engine = create_async_engine(browser_database_url)

    async def wait(listing_id: int) -> None:
        deadline = time.monotonic() + SLOW_TIMEOUT_MS / 1000
        query = text("SELECT document_id FROM listings WHERE id = :id")
        while True:
            async with engine.connect() as connection:
                document = (await connection.execute(query, {"id": listing_id})).scalar()
            if document is not None:
                return
            if time.monotonic() > deadline:
                pytest.fail(
                    f"listing {listing_id} was not indexed; worker log:\n"
                    + browser_stack.log_text("worker")[-3000:]
                )
            await asyncio.sleep(0.2)

    yield wait
    await engine.dispose()


# --- the browser ----------------------------------------------------------------------


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            # Containers and CI run as root with a small /dev/shm.
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(request.node.name)


@pytest.fixture
async def chat(
    browser: Browser,
    browser_stack: Stack,
    shots: Screenshots,
    request: pytest.FixtureRequest,
) -> AsyncIterator[ChatFactory]:
    """Opens the sandbox chat page as a user, each in a fresh browser context."""
    contexts: list[BrowserContext] = []
    chats: list[ChatPage] = []

    async def open_chat(user_id: int, first_name: str, language: str = "en") -> ChatPage:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = await context.new_page()
        person = ChatPage(page, browser_stack.url("sandbox"), user_id, first_name)
        chats.append(person)
        return await person.open(language)

    try:
        yield open_chat
    finally:
        failed = getattr(request.node, "report_call", None)
        if failed is not None and failed.failed:
            for person in chats:
                try:
                    await shots(person.page, f"failure-user{person.user_id}")
                except Exception as exc:  # best effort: the test failed already
                    print(f"no failure screenshot for {person.user_id}: {exc}")  # noqa: T201
                print(f"user {person.user_id}: {person.problems()}")  # noqa: T201
        for context in contexts:
            await context.close()

"""The api with its lifespan and a real worker (as for search), and a sandbox serving
the LLM protocols on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from concierge.sandbox.main import create_app as create_sandbox
from tests.services.api.search.conftest import (  # noqa: F401 (fixtures)
    api,
    embedding_worker,
    start_api,
    worker_client,
)
from tests.services.sandbox.conftest import sandbox_settings, serve


@pytest.fixture
async def llm_sandbox() -> AsyncIterator[httpx.AsyncClient]:
    """A running sandbox; its base URL is the client's."""
    running = await serve(create_sandbox(sandbox_settings()))
    async with httpx.AsyncClient(base_url=running.url, timeout=10, trust_env=False) as http:
        yield http
    await running.stop()

"""A running sandbox whose LLM stand-in the agent layer talks to over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from concierge.agent.providers import LlmConfig
from concierge.sandbox.main import create_app as create_sandbox
from tests.services.sandbox.conftest import sandbox_settings, serve


@pytest.fixture
async def llm_sandbox() -> AsyncIterator[httpx.AsyncClient]:
    running = await serve(create_sandbox(sandbox_settings()))
    async with httpx.AsyncClient(base_url=running.url, timeout=10, trust_env=False) as http:
        yield http
    await running.stop()


def config(http: httpx.AsyncClient, provider: str, **extra: object) -> LlmConfig:
    base = str(http.base_url).rstrip("/")
    url = f"{base}/llm/openai/v1" if provider == "openai" else f"{base}/llm/anthropic"
    model = "llama3.2" if provider == "openai" else "claude-test"
    return LlmConfig(provider, url, model, api_key="sk-test", timeout_s=10, **extra)  # type: ignore[arg-type]


async def script(http: httpx.AsyncClient, **fault: object) -> None:
    response = await http.post("/sandbox/llm/faults", json=fault)
    assert response.status_code == 200, response.text

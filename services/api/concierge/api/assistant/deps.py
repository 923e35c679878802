"""The assistant's dependencies and its process-wide state (the LLM client)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request

from concierge.agent.complete import TextModel
from concierge.agent.providers import LlmConfig
from concierge.api.assistant.service import AssistantRuntime, AssistantService
from concierge.api.search.deps import SearchServiceDep
from concierge.api.settings import ApiSettings

log = logging.getLogger(__name__)


def llm_config(settings: ApiSettings) -> LlmConfig | None:
    """The deployment's model (None: no LLM configured)."""
    if settings.llm_provider == "none":
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return LlmConfig(
        provider=settings.llm_provider,
        base_url=settings.resolved_llm_base_url,
        model=settings.llm_model,
        api_key=key,
        timeout_s=settings.llm_timeout_s,
        max_tokens=settings.llm_max_tokens,
    )


def llm_client(settings: ApiSettings) -> TextModel | None:
    config = llm_config(settings)
    if config is None:
        return None
    client = TextModel(config)
    log.info("answers are written by %s over the %s protocol", settings.llm_model,
             settings.llm_provider)  # fmt: skip
    return client


@asynccontextmanager
async def open_assistant(settings: ApiSettings) -> AsyncIterator[AssistantRuntime]:
    runtime = AssistantRuntime(llm_client(settings), settings.llm_max_concurrency)
    try:
        yield runtime
    finally:
        await runtime.aclose()


def get_assistant_service(request: Request, search: SearchServiceDep) -> AssistantService:
    runtime: AssistantRuntime = request.app.state.assistant
    return AssistantService(search, runtime)


AssistantServiceDep = Annotated[AssistantService, Depends(get_assistant_service)]

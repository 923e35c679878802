"""The model a deployment talks to, built from its settings: an OpenAI-compatible server
(OpenAI, Ollama, vLLM, llama.cpp) or Anthropic's Messages API, through pydantic-ai and
the providers' official SDKs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from anthropic import AsyncAnthropic, omit
from openai import AsyncOpenAI
from openai import omit as openai_omit
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.settings import ModelSettings

Provider = Literal["openai", "anthropic"]
ANTHROPIC_VERSION = "2023-06-01"
ATTEMPTS = 2  # one retry of a failed call (429, 5xx, connection), inside the timeout
OPENAI_HOST = "api.openai.com"
NO_KEY = "no-key"  # the OpenAI SDK wants a key even when none is sent


@dataclass(frozen=True)
class LlmConfig:
    """Where the model is and how much one call may take."""

    provider: Provider
    base_url: str  # OpenAI-compatible: ends in /v1; Anthropic: the host
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0
    max_tokens: int = 600
    temperature: float = 0.2

    def settings(self) -> ModelSettings:
        return ModelSettings(max_tokens=self.max_tokens, temperature=self.temperature)


def build_model(config: LlmConfig) -> Model:
    """The pydantic-ai model for ``config``; its SDK client retries once."""
    if config.provider == "openai":
        return _openai(config)
    return _anthropic(config)


async def close_model(model: Model) -> None:
    """Close the SDK client (its connection pool) of a model :func:`build_model` made."""
    client = getattr(model, "client", None)
    close = getattr(client, "close", None)
    if close is not None:
        await close()


def _openai(config: LlmConfig) -> Model:
    # Local servers need no key, and a made-up one must not reach them: no header then.
    client = AsyncOpenAI(
        base_url=config.base_url.rstrip("/"),
        api_key=config.api_key or NO_KEY,
        max_retries=ATTEMPTS - 1,
        timeout=config.timeout_s,
    )
    # Servers other than OpenAI's (Ollama, llama.cpp, older vLLM) know only max_tokens.
    native = OPENAI_HOST in config.base_url
    profile = {"openai_chat_supports_max_completion_tokens": native}
    settings = config.settings()
    if not config.api_key:
        settings["extra_headers"] = {"Authorization": openai_omit}  # type: ignore[dict-item]
    return OpenAIChatModel(
        config.model,
        provider=OpenAIProvider(openai_client=client),
        profile=profile,  # type: ignore[arg-type]
        settings=settings,
    )


def _anthropic(config: LlmConfig) -> Model:
    # The key goes in x-api-key, the header the Messages API documents; without one the
    # request goes out keyless and the server's 401 says so.
    headers: dict[str, object] = {"anthropic-version": ANTHROPIC_VERSION}
    headers.update({"x-api-key": config.api_key} if config.api_key else {"Authorization": omit})
    client = AsyncAnthropic(
        api_key=None,
        auth_token=None,
        base_url=config.base_url.rstrip("/"),
        default_headers=headers,  # type: ignore[arg-type]
        max_retries=ATTEMPTS - 1,
        timeout=config.timeout_s,
    )
    return AnthropicModel(
        config.model,
        provider=AnthropicProvider(anthropic_client=client),
        settings=config.settings(),
    )

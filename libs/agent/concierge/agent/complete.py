"""One prompt, one text reply: what the answers and the check-in extraction need."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from pydantic_ai import direct
from pydantic_ai.exceptions import AgentRunError, ModelAPIError
from pydantic_ai.messages import ModelRequest, SystemPromptPart, TextPart, UserPromptPart
from pydantic_ai.models import Model

from concierge.agent.errors import LlmError, reason_of
from concierge.agent.providers import LlmConfig, build_model, close_model

log = logging.getLogger(__name__)

# What an SDK may raise while reading a reply of the wrong shape (a reply is untrusted).
MALFORMED = (ValueError, KeyError, IndexError, TypeError, AttributeError)


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str


class TextModel:
    """A model asked one question at a time. Anything but a reply with some text is an
    :class:`LlmError` (timeouts, error statuses, unreadable replies); the whole exchange,
    retry included, fits in the config's ``timeout_s``."""

    def __init__(self, config: LlmConfig, model: Model | None = None) -> None:
        self.config = config
        self.model = config.model
        self._model = model or build_model(config)

    async def complete(self, prompt: Prompt) -> str:
        request = ModelRequest(parts=[SystemPromptPart(prompt.system), UserPromptPart(prompt.user)])
        try:
            async with asyncio.timeout(self.config.timeout_s):
                response = await direct.model_request(self._model, [request])
        except TimeoutError:
            raise LlmError(f"the model did not answer within {self.config.timeout_s:g} s") from None
        except (AgentRunError, ModelAPIError, *MALFORMED) as exc:
            log.warning("LLM call failed: %s", type(exc).__name__)
            raise LlmError(reason_of(exc)) from exc
        text = "".join(part.content for part in response.parts if isinstance(part, TextPart))
        if not text.strip():
            raise LlmError("the model's reply could not be read")
        return text.strip()

    async def aclose(self) -> None:
        await close_model(self._model)

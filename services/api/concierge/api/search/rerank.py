"""Optional reranking of the first fused results with a cross-encoder.

Off unless ``API_SEARCH_RERANK_MODEL`` names a sentence-transformers cross-encoder
(a local folder: nothing is downloaded at run time). The model is loaded when the
api starts, so a wrong name stops the start with a clear message instead of
failing searches. Scoring runs in one worker thread, off the event loop.
sentence-transformers is not among the api's own dependencies: install it next to
the api to use this.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol


class RerankerUnavailable(RuntimeError):
    pass


class Reranker(Protocol):
    async def score(self, query: str, passages: Sequence[str]) -> list[float]: ...

    def close(self) -> None: ...


class CrossEncoderReranker:
    def __init__(self, model: Any) -> None:
        self._model = model
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rerank")

    @classmethod
    async def load(cls, name: str) -> CrossEncoderReranker:
        return cls(await asyncio.to_thread(_load_cross_encoder, name))

    async def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        pairs = [(query, passage) for passage in passages]
        loop = asyncio.get_running_loop()
        scores = await loop.run_in_executor(self._pool, self._predict, pairs)
        return [float(value) for value in scores]

    def _predict(self, pairs: list[tuple[str, str]]) -> Any:
        return self._model.predict(pairs, show_progress_bar=False)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _load_cross_encoder(name: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
    try:
        from sentence_transformers import CrossEncoder
    except ImportError as exc:
        raise RerankerUnavailable(
            "API_SEARCH_RERANK_MODEL is set but sentence-transformers is not installed"
        ) from exc
    try:
        return CrossEncoder(name, device="cpu")
    except Exception as exc:  # any loading failure means the setting is wrong
        raise RerankerUnavailable(
            f"API_SEARCH_RERANK_MODEL={name!r} could not be loaded as a cross-encoder: {exc}"
        ) from exc

"""Query embeddings for the vector arm, from the worker (which owns the model).

Search must not fail because the worker is slow or down: the caller gets
:class:`EmbeddingUnavailable` within ``timeout_s`` and searches full text only.
After a failure the worker is left alone for ``cooldown_s`` so every search in the
meantime does not wait for the same timeout. Recent queries are cached (the next
page, or an answer about what was just searched, asks again).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Protocol

from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.worker_client import WorkerClient

log = logging.getLogger(__name__)


class EmbeddingUnavailable(Exception):
    """No query embedding now; the reason is shown to the caller as the degradation."""


class QueryEmbedder(Protocol):
    async def embed_query(self, text: str) -> list[float]:
        """The query's vector, or EmbeddingUnavailable."""
        ...


class WorkerQueryEmbedder:
    def __init__(
        self,
        worker: WorkerClient,
        *,
        dimensions: int,
        timeout_s: float,
        cooldown_s: float = 5.0,
        cache_size: int = 512,
    ) -> None:
        self.worker = worker
        self.dimensions = dimensions
        self.timeout_s = timeout_s
        self.cooldown_s = cooldown_s
        self.cache_size = cache_size
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._resting_until = 0.0

    async def embed_query(self, text: str) -> list[float]:
        if (cached := self._cache.get(text)) is not None:
            self._cache.move_to_end(text)
            return cached
        if time.monotonic() < self._resting_until:
            raise EmbeddingUnavailable("the worker failed moments ago; not asking again yet")
        vector = await self._ask(text)
        self._cache[text] = vector
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return vector

    async def _ask(self, text: str) -> list[float]:
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self.worker.embed([text], "query")
        except TimeoutError:
            raise self._failed(
                f"the worker did not embed the query within {self.timeout_s:g} s"
            ) from None
        except (ServiceUnavailable, ServiceResponseError) as exc:
            raise self._failed(f"the worker could not embed the query ({exc})") from exc
        if response.dimensions != self.dimensions or len(response.vectors) != 1:
            raise self._failed(
                f"the worker's model {response.model} gives {response.dimensions} dimensions; "
                f"documents have {self.dimensions}"
            )
        return response.vectors[0]

    def _failed(self, reason: str) -> EmbeddingUnavailable:
        self._resting_until = time.monotonic() + self.cooldown_s
        log.warning("searching full text only: %s", reason)
        return EmbeddingUnavailable(reason)

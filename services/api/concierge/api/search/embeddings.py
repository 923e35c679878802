"""Query embeddings for the vector arm, from the worker (which owns the model).

Search must not fail because the worker is slow or down: the caller gets
:class:`EmbeddingUnavailable` within ``timeout_s`` and searches full text only.
After a failure the worker is left alone for ``cooldown_s`` so every search in the
meantime does not wait for the same timeout. Recent queries are cached for
``cache_ttl_s`` (the next page, or an answer about what was just searched, asks again);
the cache must forget sooner than a replaced model's vectors are deleted.

A query vector comes with its model's name (search compares it only with vectors of
that model), its dimension and the model's similarity floor.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.worker_client import WorkerClient

log = logging.getLogger(__name__)


class EmbeddingUnavailable(Exception):
    """No query embedding now; the reason is shown to the caller as the degradation."""


@dataclass(frozen=True)
class QueryVector:
    model: str
    vector: list[float]
    similarity_floor: float | None = None
    cross_language_floor: float | None = None  # for documents in another language

    @property
    def dimensions(self) -> int:
        return len(self.vector)


class QueryEmbedder(Protocol):
    async def embed_query(self, text: str) -> QueryVector:
        """The query's vector, or EmbeddingUnavailable."""
        ...


class WorkerQueryEmbedder:
    def __init__(
        self,
        worker: WorkerClient,
        *,
        timeout_s: float,
        cooldown_s: float = 5.0,
        cache_size: int = 512,
        cache_ttl_s: float = 300.0,
    ) -> None:
        self.worker = worker
        self.timeout_s = timeout_s
        self.cooldown_s = cooldown_s
        self.cache_size = cache_size
        self.cache_ttl_s = cache_ttl_s
        self._cache: OrderedDict[str, tuple[float, QueryVector]] = OrderedDict()
        self._resting_until = 0.0

    async def embed_query(self, text: str) -> QueryVector:
        cached = self._cache.get(text)
        if cached is not None and time.monotonic() - cached[0] < self.cache_ttl_s:
            self._cache.move_to_end(text)
            return cached[1]
        if time.monotonic() < self._resting_until:
            raise EmbeddingUnavailable("the worker failed moments ago; not asking again yet")
        vector = await self._ask(text)
        self._cache[text] = (time.monotonic(), vector)
        self._cache.move_to_end(text)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return vector

    async def _ask(self, text: str) -> QueryVector:
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self.worker.embed([text], "query")
        except TimeoutError:
            raise self._failed(
                f"the worker did not embed the query within {self.timeout_s:g} s"
            ) from None
        except (ServiceUnavailable, ServiceResponseError) as exc:
            raise self._failed(f"the worker could not embed the query ({exc})") from exc
        if len(response.vectors) != 1 or len(response.vectors[0]) != response.dimensions:
            raise self._failed(f"the worker's answer for {response.model} does not add up")
        return QueryVector(
            response.model,
            response.vectors[0],
            response.similarity_floor,
            response.cross_language_floor,
        )

    def _failed(self, reason: str) -> EmbeddingUnavailable:
        self._resting_until = time.monotonic() + self.cooldown_s
        log.warning("searching full text only: %s", reason)
        return EmbeddingUnavailable(reason)

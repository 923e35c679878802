"""Embedding concurrent requests in shared batches, off the event loop.

Requests that arrive while a batch is being encoded wait and go together in the
next one. Queries and passages have a thread each: a query never waits behind a
batch of passages (ingest or a re-embed may keep the passage thread busy for
seconds), and passage batches never compete with each other for the cores.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from concierge.embedding.base import Embedder, Kind, Vectors

KINDS: tuple[Kind, ...] = ("query", "passage")


@dataclass
class _Request:
    texts: Sequence[str]
    future: asyncio.Future[Vectors] = field(repr=False)


class BatchingEmbedder:
    def __init__(self, embedder: Embedder, *, max_batch: int = 32) -> None:
        self.embedder = embedder
        self.max_batch = max_batch
        self._pools = {
            kind: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"embed-{kind}")
            for kind in KINDS
        }
        self._waiting: dict[Kind, list[_Request]] = {kind: [] for kind in KINDS}
        self._running: dict[Kind, asyncio.Task[None] | None] = {kind: None for kind in KINDS}

    @property
    def name(self) -> str:
        return self.embedder.name

    @property
    def dimensions(self) -> int:
        return self.embedder.dimensions

    def fit(self, text: str) -> str:
        return self.embedder.fit(text)

    async def embed(self, texts: Sequence[str], kind: Kind = "query") -> Vectors:
        future: asyncio.Future[Vectors] = asyncio.get_running_loop().create_future()
        self._waiting[kind].append(_Request(texts, future))
        task = self._running[kind]
        if task is None or task.done():
            self._running[kind] = asyncio.create_task(self._drain(kind))
        return await future

    async def _drain(self, kind: Kind) -> None:
        while self._waiting[kind]:
            batch = self._take(kind)
            texts = [text for request in batch for text in request.texts]
            try:
                vectors = await asyncio.get_running_loop().run_in_executor(
                    self._pools[kind], self._encoder(kind), texts
                )
            except Exception as exc:  # every waiting caller learns of the failure
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(exc)
                continue
            self._deliver(batch, vectors)

    def _take(self, kind: Kind) -> list[_Request]:
        batch: list[_Request] = []
        count = 0
        waiting = self._waiting[kind]
        while waiting and (not batch or count + len(waiting[0].texts) <= self.max_batch):
            request = waiting.pop(0)
            batch.append(request)
            count += len(request.texts)
        return batch

    def _encoder(self, kind: Kind) -> Callable[[Sequence[str]], Vectors]:
        if kind == "query":
            return self.embedder.encode_queries
        return self.embedder.encode_passages

    @staticmethod
    def _deliver(batch: list[_Request], vectors: Vectors) -> None:
        start = 0
        for request in batch:
            end = start + len(request.texts)
            if not request.future.done():
                request.future.set_result(np.asarray(vectors[start:end]))
            start = end

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        self.embedder.close()

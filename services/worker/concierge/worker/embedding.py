"""The worker's embedding model and ``POST /embed`` (query embeddings for the api).

The model is loaded in a thread, at start (``WORKER_EMBEDDING_PRELOAD``, so the
first query after a deploy does not wait for it) or on first use. Concurrent
requests share batches (``BatchingEmbedder``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from concierge.common.auth import require_service_token
from concierge.contracts.search import EmbedRequest, EmbedResponse
from concierge.embedding import BatchingEmbedder, Embedder
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)


class EmbeddingModel:
    """One model per process, loaded once on first use."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self._loaded: BatchingEmbedder | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self.settings.embedding_model

    async def get(self) -> BatchingEmbedder:
        if self._loaded is None:
            async with self._lock:
                if self._loaded is None:
                    self._loaded = BatchingEmbedder(await asyncio.to_thread(self._load))
        return self._loaded

    async def preload(self) -> None:
        """Load now; a failure is logged and retried by the first real use."""
        try:
            await self.get()
        except Exception as exc:
            log.warning("could not preload the embedding model %s: %r", self.name, exc)

    def _load(self) -> Embedder:
        settings = self.settings
        embedder = Embedder(
            settings.embedding_model,
            query_prefix=settings.embedding_query_prefix,
            passage_prefix=settings.embedding_passage_prefix,
            batch_size=settings.embedding_batch_size,
            threads=settings.embedding_threads or None,
        )
        log.info("embedding model %s loaded (%d dimensions)", embedder.name, embedder.dimensions)
        return embedder

    def close(self) -> None:
        if self._loaded is not None:
            self._loaded.close()


router = APIRouter(dependencies=[Depends(require_service_token)])


def get_model(request: Request) -> EmbeddingModel:
    model: EmbeddingModel = request.app.state.embedding
    return model


@router.post("/embed", response_model=EmbedResponse)
async def embed(
    body: EmbedRequest, model: Annotated[EmbeddingModel, Depends(get_model)]
) -> EmbedResponse:
    """Embed up to 64 texts as queries or passages; concurrent calls share batches."""
    embedder = await model.get()
    vectors = await embedder.embed(body.texts, body.kind)
    return EmbedResponse(
        model=model.name,
        dimensions=int(vectors.shape[1]),
        vectors=[[round(float(x), 6) for x in row] for row in vectors],
    )

"""The worker's embedding models and ``POST /embed`` (query embeddings for the api).

The configured model (``WORKER_EMBEDDING_*``) embeds everything new: ingest's
documents, listings, and the whole corpus again when the model changes. Search uses
the *active* model (``embedding_models``): queries are embedded with it, so they meet
vectors of their own kind. While a re-embed runs, the active model is the previous
one: it is loaded again from the spec stored with it, next to the configured one; when
it cannot be loaded here (its backend is not installed), query embeddings fail and
search runs on full text until the switch.

Models load in a thread, at start (``WORKER_EMBEDDING_PRELOAD``) or on first use.
Concurrent requests share batches (``BatchingEmbedder``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request

from concierge.common.auth import require_service_token
from concierge.common.openapi import raises
from concierge.contracts.search import EmbedRequest, EmbedResponse
from concierge.db import Database
from concierge.domain.ingest.models import EmbeddingModel, ModelState
from concierge.domain.ingest.repository import EmbeddingModelRepository
from concierge.embedding import (
    BackendUnavailable,
    BatchingEmbedder,
    EmbeddingSpec,
    load_embedder,
    similarity_floors,
)
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

ACTIVE_TTL_S = 5.0  # how long the active model's name is trusted before it is read again


class ModelUnavailable(Exception):
    """The model search uses cannot embed here now; the message says why."""


class EmbeddingModels:
    """The configured model (loaded once) and, while it is being built, the active one."""

    def __init__(
        self,
        settings: WorkerSettings,
        database: Database | None = None,
        *,
        loaded: BatchingEmbedder | None = None,  # the configured model, loaded already
    ) -> None:
        self.settings = settings
        self.database = database
        self.spec = settings.embedding_spec()
        self._target: BatchingEmbedder | None = loaded
        self._previous: dict[str, BatchingEmbedder] = {}
        self._failed: dict[str, str] = {}
        self._lock = asyncio.Lock()
        self._active: tuple[str, dict[str, object]] | None = None
        self._active_read_at = -ACTIVE_TTL_S

    @property
    def name(self) -> str:
        """The configured model's tag, stored with the vectors it makes."""
        return self.spec.tag

    async def get(self) -> BatchingEmbedder:
        """The configured model, loaded on first use."""
        if self._target is None:
            async with self._lock:
                if self._target is None:
                    self._target = await asyncio.to_thread(self._load, self.spec)
        return self._target

    async def preload(self) -> None:
        """Load now; a failure is logged and retried by the first real use."""
        try:
            await self.get()
        except Exception as exc:
            log.warning("could not preload the embedding model %s: %r", self.name, exc)

    def _load(self, spec: EmbeddingSpec) -> BatchingEmbedder:
        settings = self.settings
        key = settings.embedding_api_key
        embedder = load_embedder(
            spec,
            threads=settings.embedding_threads or None,
            batch_size=settings.embedding_batch_size,
            api_key=key.get_secret_value() if key else None,
            timeout_s=settings.embedding_timeout_s,
        )
        log.info(
            "embedding model %s loaded (%s backend, %d dimensions)",
            embedder.name,
            spec.backend,
            embedder.dimensions,
        )
        return BatchingEmbedder(embedder, max_batch=settings.embedding_batch_size)

    def floors(self, name: str) -> tuple[float | None, float | None]:
        """The cosines below which a vector match of this model is no match, in the
        query's language and across languages."""
        same, across = similarity_floors(name)
        settings = self.settings
        if name == self.name and settings.embedding_similarity_floor is not None:
            same = settings.embedding_similarity_floor
        if name == self.name and settings.embedding_cross_language_floor is not None:
            across = settings.embedding_cross_language_floor
        return same, across

    # --- the model search uses ----------------------------------------------------------

    def saw_active(self, model: EmbeddingModel | None) -> None:
        """The active model as just read (by the vector keeper, or here)."""
        self._active = None if model is None else (model.name, dict(model.spec))
        self._active_read_at = time.monotonic()

    async def _active_model(self) -> tuple[str, dict[str, object]] | None:
        if self.database is not None and time.monotonic() - self._active_read_at > ACTIVE_TTL_S:
            async with self.database.transaction() as session:
                self.saw_active(await EmbeddingModelRepository(session).active())
        return self._active

    async def for_queries(self) -> BatchingEmbedder:
        """The active model (the configured one when none is active yet)."""
        active = await self._active_model()
        if active is None or active[0] == self.name:
            return await self.get()
        name, stored = active
        if name in self._previous:
            return self._previous[name]
        if name in self._failed:
            raise ModelUnavailable(self._failed[name])
        async with self._lock:
            if name not in self._previous:
                spec = EmbeddingSpec.from_stored(stored)
                try:
                    if spec.tag != name:
                        raise BackendUnavailable(f"no way to load {name} is stored")
                    self._previous[name] = await asyncio.to_thread(self._load, spec)
                except Exception as exc:  # the backend is not installed, the path is gone…
                    reason = f"the model search uses ({name}) cannot be loaded here: {exc}"
                    self._failed[name] = reason
                    log.warning("%s; searches run on full text until the switch", reason)
                    raise ModelUnavailable(reason) from exc
        return self._previous[name]

    def forget_previous(self, keep: str | None) -> None:
        """Unload previous models that are no longer active."""
        for name in [name for name in self._previous if name != keep]:
            self._previous.pop(name).close()
            log.info("embedding model %s unloaded (no longer used by search)", name)
        self._failed = {name: reason for name, reason in self._failed.items() if name == keep}

    def close(self) -> None:
        if self._target is not None:
            self._target.close()
        for embedder in self._previous.values():
            embedder.close()


router = APIRouter(dependencies=[Depends(require_service_token)])


def get_models(request: Request) -> EmbeddingModels:
    models: EmbeddingModels = request.app.state.embedding
    return models


@router.post("/embed", response_model=EmbedResponse)
@raises(503)
async def embed(
    body: EmbedRequest, models: Annotated[EmbeddingModels, Depends(get_models)]
) -> EmbedResponse:
    """Embed up to 64 texts: queries with the model search uses, passages with the
    configured one; concurrent calls share batches. 503 when the model search uses cannot
    be loaded here (search then runs on full text)."""
    try:
        embedder = await (models.for_queries() if body.kind == "query" else models.get())
    except ModelUnavailable as exc:
        raise HTTPException(503, str(exc)) from None
    vectors = await embedder.embed(body.texts, body.kind)
    same, across = models.floors(embedder.name)
    return EmbedResponse(
        model=embedder.name,
        dimensions=int(vectors.shape[1]),
        vectors=[[round(float(x), 6) for x in row] for row in vectors],
        similarity_floor=same,
        cross_language_floor=across,
    )


__all__ = ["EmbeddingModels", "ModelState", "ModelUnavailable", "router"]

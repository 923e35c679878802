"""Search's dependencies and its process-wide state, built in the api's lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request

from concierge.api.paging import CursorCodec
from concierge.api.search.embeddings import WorkerQueryEmbedder
from concierge.api.search.repository import SearchRepository
from concierge.api.search.rerank import CrossEncoderReranker, Reranker
from concierge.api.search.service import SearchConfig, SearchRuntime, SearchService
from concierge.api.settings import ApiSettings
from concierge.common.http_client import ServiceClient
from concierge.contracts.worker_client import WorkerClient
from concierge.db import SessionDep, SideSessionDep

log = logging.getLogger(__name__)


def search_config(settings: ApiSettings) -> SearchConfig:
    return SearchConfig(
        candidates=settings.search_candidates,
        fts_rank_limit=settings.search_fts_rank_limit,
        fts_budget=settings.search_fts_budget,
        min_coverage=settings.search_min_coverage,
        fts_weight=settings.search_fts_weight,
        vector_depth=settings.search_vector_depth,
        ef_search=settings.search_ef_search,
        exact_max=settings.search_exact_max,
        rerank_depth=settings.search_rerank_depth,
        typo_similarity=settings.search_typo_similarity,
        parallel_workers=settings.search_parallel_workers,
    )


@asynccontextmanager
async def open_search(settings: ApiSettings, cursors: CursorCodec) -> AsyncIterator[SearchRuntime]:
    """The worker client for query embeddings and, when configured, the reranker
    (loaded now: a model that cannot be loaded stops the start)."""
    reranker: Reranker | None = None
    if settings.search_rerank_model:
        reranker = await CrossEncoderReranker.load(settings.search_rerank_model)
        log.info("search results are reranked by %s", settings.search_rerank_model)
    token = settings.service_token.get_secret_value()
    # Few, quick attempts: a search rather goes on without vectors than waits.
    http = ServiceClient(
        settings.worker_url, token, timeout=settings.search_embed_timeout_s, attempts=2,
        max_backoff=0.1,
    )  # fmt: skip
    embedder = WorkerQueryEmbedder(WorkerClient(http), timeout_s=settings.search_embed_timeout_s)
    runtime = SearchRuntime(
        config=search_config(settings),
        cursors=cursors,
        embedder=embedder,
        reranker=reranker,
    )
    try:
        yield runtime
    finally:
        await http.aclose()
        if reranker is not None:
            reranker.close()


def get_search_service(
    request: Request, session: SessionDep, vectors: SideSessionDep
) -> SearchService:
    runtime: SearchRuntime = request.app.state.search
    side = SearchRepository(vectors) if vectors is not None else None
    return SearchService(SearchRepository(session), runtime, vectors=side)


SearchServiceDep = Annotated[SearchService, Depends(get_search_service)]

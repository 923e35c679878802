from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from concierge.api.identity.deps import CurrentAdmin
from concierge.api.ingest.deps import IngestServiceDep
from concierge.api.ingest.schemas import (
    EmbeddingModelRead,
    SourceCreate,
    SourceRead,
    SourceUpdate,
)
from concierge.common.auth import require_service_token
from concierge.common.openapi import raises

router = APIRouter(
    prefix="/admin/sources", tags=["ingest"], dependencies=[Depends(require_service_token)]
)
SourceIdPath = Annotated[int, Path(gt=0, lt=2**63)]


@router.get("", response_model=list[SourceRead])
async def list_sources(_: CurrentAdmin, ingest: IngestServiceDep) -> list[SourceRead]:
    """Admins only: every source with its state and how many documents it gave."""
    return await ingest.list_sources()


@router.post("", response_model=SourceRead, status_code=status.HTTP_201_CREATED)
@raises(409)
async def add_source(data: SourceCreate, _: CurrentAdmin, ingest: IngestServiceDep) -> SourceRead:
    """Admins only: a feed, web page or channel to ingest, checked at once. A URL must
    resolve to public addresses (422 otherwise); a source already known is a 409."""
    return await ingest.add(data)


@router.get("/embeddings", response_model=list[EmbeddingModelRead])
async def embedding_models(_: CurrentAdmin, ingest: IngestServiceDep) -> list[EmbeddingModelRead]:
    """Admins only: the embedding models and how much of the corpus each covers. After a
    change of model the new one is ``building`` (the worker embeds every document again,
    search keeps using the ``active`` one) until it covers everything; then it is active."""
    return await ingest.embedding_models()


@router.get("/{source_id}", response_model=SourceRead)
@raises(404)
async def get_source(
    source_id: SourceIdPath, _: CurrentAdmin, ingest: IngestServiceDep
) -> SourceRead:
    return await ingest.get(source_id)


@router.patch("/{source_id}", response_model=SourceRead)
@raises(404)
async def update_source(
    source_id: SourceIdPath, update: SourceUpdate, _: CurrentAdmin, ingest: IngestServiceDep
) -> SourceRead:
    """Admins only: rename, pause (``enabled: false``) or resume (checked at once)."""
    return await ingest.update(source_id, update)


@router.delete("/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def delete_source(
    source_id: SourceIdPath, _: CurrentAdmin, ingest: IngestServiceDep
) -> Response:
    """Admins only: the source and its documents go; copies elsewhere stay searchable."""
    await ingest.delete(source_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

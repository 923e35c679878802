"""Ingest's dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.api.ingest.repository import SourceRepository
from concierge.api.ingest.service import IngestService
from concierge.db import SessionDep
from concierge.domain.ingest.repository import DocumentRepository, EmbeddingModelRepository


def get_ingest_service(request: Request, session: SessionDep) -> IngestService:
    allowed = request.app.state.settings.ingest_allowed_private_hosts
    return IngestService(
        SourceRepository(session),
        DocumentRepository(session),
        EmbeddingModelRepository(session),
        allowed,
    )


IngestServiceDep = Annotated[IngestService, Depends(get_ingest_service)]

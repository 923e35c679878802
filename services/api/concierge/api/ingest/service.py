"""Ingest rules in api: adding, listing, pausing and deleting sources.

A URL is checked before it is stored: resolved, and refused when any address is not
public (SSRF). The worker checks again at every fetch and every redirect, since DNS
answers change. A new or resumed source is due at once.

The embedding models and their coverage show how far a re-embed is: per model, and per
source for the newest model.
"""

from __future__ import annotations

from concierge.api.ingest.repository import SourceRepository
from concierge.api.ingest.schemas import (
    EmbeddingModelRead,
    SourceCreate,
    SourceRead,
    SourceUpdate,
)
from concierge.common.errors import Conflict, Invalid, NotFound
from concierge.common.safe_http import UnsafeUrl, check_public_url
from concierge.contracts.search import SourceKind
from concierge.domain.ingest.models import EmbeddingModel, ModelState, Source
from concierge.domain.ingest.repository import DocumentRepository, EmbeddingModelRepository


class IngestService:
    def __init__(
        self,
        sources: SourceRepository,
        documents: DocumentRepository,
        models: EmbeddingModelRepository,
        allowed_private: frozenset[str],
    ) -> None:
        self.sources = sources
        self.documents = documents
        self.models = models
        self.allowed_private = allowed_private

    async def add(self, data: SourceCreate) -> SourceRead:
        values: dict[str, object] = {"kind": data.kind.value, "title": data.title}
        if data.kind == SourceKind.TELEGRAM:
            assert data.handle is not None
            values["handle"] = data.handle.removeprefix("@").lower()
        else:
            assert data.url is not None
            await self._check_url(data.url)
            values["url"] = data.url
        source = await self.sources.insert(values)
        if source is None:
            raise Conflict("This source is already registered")
        return _read(source, 0, 0)

    async def _check_url(self, url: str) -> None:
        try:
            await check_public_url(url, allowed=self.allowed_private)
        except UnsafeUrl as exc:
            raise Invalid(f"This URL cannot be a source: {exc}") from None

    async def list_sources(self) -> list[SourceRead]:
        sources = await self.sources.list_all()
        counts = await self.sources.document_counts([source.id for source in sources])
        embedded = await self._embedded_counts()
        return [
            _read(source, counts.get(source.id, 0), embedded.get(source.id, 0))
            for source in sources
        ]

    async def get(self, source_id: int) -> SourceRead:
        source = await self._get(source_id)
        counts = await self.sources.document_counts([source.id])
        embedded = await self._embedded_counts()
        return _read(source, counts.get(source.id, 0), embedded.get(source.id, 0))

    async def embedding_models(self) -> list[EmbeddingModelRead]:
        """Every embedding model with its coverage (retired ones as they are deleted)."""
        found = []
        for model in await self.models.all():
            coverage = await self.models.coverage(model.id)
            found.append(
                EmbeddingModelRead(
                    name=model.name,
                    dimensions=model.dimensions,
                    state=ModelState(model.state).value,
                    covered=coverage.covered,
                    total=coverage.total,
                    share=round(coverage.share, 4),
                    created_at=model.created_at,
                    activated_at=model.activated_at,
                    retired_at=model.retired_at,
                )
            )
        return found

    async def _embedded_counts(self) -> dict[int, int]:
        newest = _newest(await self.models.all())
        return {} if newest is None else await self.models.coverage_by_source(newest.id)

    async def update(self, source_id: int, update: SourceUpdate) -> SourceRead:
        """Rename, pause or resume; a resumed source is checked at once."""
        source = await self._get(source_id)
        if "title" in update.model_fields_set:
            source.title = update.title
        if update.enabled is not None and update.enabled != source.enabled:
            source.enabled = update.enabled
            if update.enabled:
                await self.sources.make_due(source)
        await self.sources.flush()
        return await self.get(source_id)

    async def delete(self, source_id: int) -> None:
        source = await self._get(source_id)
        await self.documents.delete_source(source.id)
        self.sources.forget(source)

    async def _get(self, source_id: int) -> Source:
        source = await self.sources.get(source_id)
        if source is None:
            raise NotFound(f"Source {source_id} does not exist")
        return source


def _newest(models: list[EmbeddingModel]) -> EmbeddingModel | None:
    """The model being built, else the active one."""
    for state in (ModelState.BUILDING, ModelState.ACTIVE):
        found = [model for model in models if model.state == state]
        if found:
            return max(found, key=lambda model: model.id)
    return None


def _read(source: Source, document_count: int, embedded_count: int) -> SourceRead:
    read = SourceRead.model_validate(source)
    read.document_count = document_count
    read.embedded_count = embedded_count
    return read

"""Ingest in-process against real things: the sandbox's feeds on a free port, the
workers' Postgres database, Redis db 3 and the default embedding model (the vector
keeper embeds what a check stored when a test asks it to)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import numpy as np
import pytest
from redis.asyncio import Redis
from sqlalchemy import select, text

from concierge.db import Database
from concierge.domain.ingest.models import Document, Source
from concierge.embedding import BatchingEmbedder
from concierge.sandbox.main import create_app
from concierge.streams import JobQueue
from concierge.worker.embedding import EmbeddingModels
from concierge.worker.ingest.hosts import HostSlots
from concierge.worker.ingest.pipeline import DocumentStore
from concierge.worker.ingest.service import IngestService
from concierge.worker.ingest.vectors import VectorKeeper
from concierge.worker.settings import WorkerSettings
from tests.services.sandbox.conftest import sandbox_settings, serve

_slugs = (f"ingest-{n}" for n in itertools.count(1))


@dataclass
class Feeds:
    """The sandbox's feeds, served for real on 127.0.0.1."""

    url: str
    http: httpx.AsyncClient

    @property
    def host_port(self) -> str:
        return self.url.removeprefix("http://")

    async def new(self, *items: dict[str, Any], language: str = "en") -> str:
        """A fresh feed with these items; returns its URL."""
        slug = next(_slugs)
        response = await self.http.post(
            "/sandbox/feeds", json={"slug": slug, "title": f"Feed {slug}", "language": language}
        )
        response.raise_for_status()
        for item in items:
            await self.publish(slug, **item)
        return f"{self.url}/feeds/{slug}.rss"

    async def publish(self, slug_or_url: str, **item: Any) -> dict[str, Any]:
        slug = slug_or_url.rsplit("/", 1)[-1].removesuffix(".rss")
        response = await self.http.post(f"/sandbox/feeds/{slug}/items", json=item)
        response.raise_for_status()
        return dict(response.json())

    async def edit(self, slug: str, item_id: str, **change: Any) -> None:
        response = await self.http.put(f"/sandbox/feeds/{slug}/items/{item_id}", json=change)
        response.raise_for_status()


@pytest.fixture(scope="session")
async def feeds() -> AsyncIterator[Feeds]:
    running = await serve(create_app(sandbox_settings()))
    async with httpx.AsyncClient(base_url=running.url, timeout=10, trust_env=False) as http:
        yield Feeds(running.url, http)
    await running.stop()


@pytest.fixture
async def ingest_database(worker_database_url: str) -> AsyncIterator[Database]:
    """The workers' database with no sources and no documents."""
    database = Database(worker_database_url)
    async with database.transaction() as session:
        await session.execute(text("DELETE FROM documents"))
        await session.execute(text("DELETE FROM sources"))
        await session.execute(text("DELETE FROM embedding_models"))
    yield database
    await database.dispose()


def ingest_settings(feeds: Feeds, **overrides: Any) -> WorkerSettings:
    values: dict[str, Any] = {
        "ingest_allowed_private_hosts": frozenset({feeds.host_port}),
        "ingest_fetch_timeout_s": 5.0,
        **overrides,
    }
    return WorkerSettings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Ingest:
    """One worker's ingest, driven by hand: add sources, check them, read the results."""

    database: Database
    service: IngestService
    store: DocumentStore
    queue: JobQueue
    keeper: VectorKeeper

    async def add(self, url: str | None, kind: str = "rss", **values: Any) -> int:
        async with self.database.transaction() as session:
            source = Source(kind=kind, url=url, **values)
            session.add(source)
            await session.flush()
            return source.id

    async def check(self, source_id: int, *, embed: bool = True) -> Source:
        """One check of the source, then (unless told not to) the vector keeper's work."""
        await self.service.check(source_id, self.store)
        if embed:
            await self.embed()
        return await self.source(source_id)

    async def embed(self) -> int:
        """What the vector keeper does until nothing is left; returns how many it embedded."""
        if self.keeper.model is None:
            await self.keeper.register()
        total = 0
        while done := await self.keeper.drain():
            total += done
        await self.keeper.settle()
        return total

    async def vector(self, document_id: int) -> np.ndarray | None:
        """The document's vector of the configured model."""
        async with self.database.transaction() as session:
            found = await session.scalar(
                text(
                    "SELECT v.embedding FROM document_vectors v JOIN embedding_models m "
                    "ON m.id = v.model_id WHERE v.document_id = :id AND m.name = :name"
                ),
                {"id": document_id, "name": self.keeper.models.name},
            )
        return None if found is None else np.array(json.loads(found), dtype=np.float32)

    async def source(self, source_id: int) -> Source:
        async with self.database.transaction() as session:
            found = await session.get(Source, source_id)
            assert found is not None
            return found

    async def documents(self, source_id: int | None = None) -> list[Document]:
        query = select(Document).order_by(Document.published_at, Document.id)
        if source_id is not None:
            query = query.where(Document.source_id == source_id)
        async with self.database.transaction() as session:
            return list((await session.scalars(query)).all())

    async def now(self) -> datetime:
        async with self.database.transaction() as session:
            moment = await session.scalar(text("SELECT now()"))
            assert moment is not None
            return moment


def make_ingest(
    database: Database, redis: Redis, embedder: BatchingEmbedder, settings: WorkerSettings
) -> Ingest:
    queue = JobQueue(redis, "ingest-test-jobs")
    slots = HostSlots(redis, settings.ingest_per_host_limit, lease_s=30)
    models = EmbeddingModels(settings, database, loaded=embedder)
    return Ingest(
        database,
        IngestService(database, queue, settings, slots),
        DocumentStore(database),
        queue,
        VectorKeeper(database, redis, models, settings),
    )


@pytest.fixture
async def ingest(
    ingest_database: Database, wredis: Redis, embedder: BatchingEmbedder, feeds: Feeds
) -> Ingest:
    return make_ingest(ingest_database, wredis, embedder, ingest_settings(feeds))

"""Sources and documents stored the way ingest stores them, with real embeddings: the
worker's model registered and active (as the worker registers it, with its index) and
each document's vector of it."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.worker_client import WorkerClient
from concierge.domain.ingest.vectors import create_vector_index
from concierge.text.normalize import clean_text, content_hash
from concierge.text.simhash import bands, simhash, to_signed

SEARCH = "/api/v1/search"
ANSWER = "/api/v1/assistant/answer"
_numbers = itertools.count(1)
DAY0 = datetime(2026, 10, 1, 12, tzinfo=UTC)
_vectors: dict[str, list[float]] = {}  # passage -> its embedding, from the real worker
_model: dict[str, str] = {}  # the worker's model name


async def add_source(
    session: AsyncSession, title: str, kind: str = "telegram", handle: str | None = None
) -> int:
    number = next(_numbers)
    source_id = await session.scalar(
        text(
            "INSERT INTO sources (kind, url, handle, title, poll_interval_s) "
            "VALUES (:kind, :url, :handle, :title, 900) RETURNING id"
        ),
        {
            "kind": kind,
            "url": f"https://feeds.example/{number}" if kind != "telegram" else None,
            "handle": handle or f"channel_{number}" if kind == "telegram" else None,
            "title": title,
        },
    )
    return int(source_id)


async def add_documents(
    session: AsyncSession, worker: WorkerClient, *documents: dict[str, Any]
) -> list[int]:
    """Store documents ({source_id, text, title?, language?, kind?, days?, duplicate_of?,
    attributes?, raw?}), cleaned (unless raw) and embedded as passages like ingest does."""
    passages = [clean_text(f"{d.get('title', '')}\n{d['text']}") for d in documents]
    missing = sorted({p for p in passages if p not in _vectors})
    if missing:  # the same texts come back test after test: embed each once
        embedded = await worker.embed(missing, "passage")
        _vectors.update(zip(missing, embedded.vectors, strict=True))
        _model["name"] = embedded.model
    vectors = [_vectors[passage] for passage in passages]
    model_id = await register_model(session, _model["name"], len(vectors[0]))
    ids = []
    for document, vector in zip(documents, vectors, strict=True):
        document_id = await _insert(session, document)
        await session.execute(
            text(
                "INSERT INTO document_vectors (model_id, document_id, embedding) "
                "VALUES (:model_id, :document_id, CAST(:embedding AS vector))"
            ),
            {"model_id": model_id, "document_id": document_id, "embedding": json.dumps(vector)},
        )
        ids.append(document_id)
    return ids


async def register_model(session: AsyncSession, name: str, dimensions: int) -> int:
    """The model active, with its index (once per test's transaction)."""
    model_id = await session.scalar(
        text(
            "INSERT INTO embedding_models (name, dimensions, state, activated_at) "
            "VALUES (:name, :dimensions, 'active', now()) "
            "ON CONFLICT (name) DO UPDATE SET state = 'active' RETURNING id"
        ),
        {"name": name, "dimensions": dimensions},
    )
    await session.execute(text(create_vector_index(int(model_id), dimensions, concurrently=False)))
    return int(model_id)


async def _insert(session: AsyncSession, document: dict[str, Any]) -> int:
    number = next(_numbers)
    body = document["text"] if document.get("raw") else clean_text(document["text"])
    fingerprint = simhash(body)
    b0, b1, b2, b3 = bands(fingerprint)
    duplicate_of = document.get("duplicate_of")
    document_id = await session.scalar(
        text(
            "INSERT INTO documents (source_id, kind, external_id, url, title, text, language, "
            "published_at, content_hash, simhash, band0, band1, band2, band3, "
            "duplicate_of, duplicate_kind, attributes) VALUES (:source_id, "
            ":kind, :external_id, :url, :title, :text, :language, :published_at, :hash, "
            ":simhash, :b0, :b1, :b2, :b3, "
            ":duplicate_of, :duplicate_kind, CAST(:attributes AS jsonb)) RETURNING id"
        ),
        {
            "source_id": document["source_id"],
            "kind": document.get("kind", "post"),
            "external_id": f"doc-{number}",
            "url": document.get("url", f"https://example.test/doc-{number}"),
            "title": document.get("title", ""),
            "text": body,
            "language": document.get("language", "en"),
            "published_at": DAY0 + timedelta(days=document.get("days", 0)),
            "hash": content_hash(body),
            "simhash": to_signed(fingerprint),
            "b0": b0,
            "b1": b1,
            "b2": b2,
            "b3": b3,
            "duplicate_of": duplicate_of,
            "duplicate_kind": "exact" if duplicate_of else None,
            "attributes": json.dumps(document.get("attributes", {})),
        },
    )
    return int(document_id)


async def search(api: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await api.get(SEARCH, params={"q": q, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]

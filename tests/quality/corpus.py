"""The demo corpus as the knowledge store holds it, and the labelled queries' metrics.

``load_corpus`` writes the sandbox's demo sources and documents into a migrated
database the way ingest stores them: cleaned text, content hash, simhash bands,
duplicates linked to their originals (the corpus marks them, so the numbers do not
depend on the de-duplication), and the vectors of a real model as the vector keeper
stores them (the model registered and active, with its index; each document embedded
from its title and body, cut to the model's window).

Metrics count a duplicate cluster once: search returns originals only (with
``also_in``), so a label on any member is a label on the cluster, with the
highest grade given to a member.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from concierge.domain.ingest.vectors import create_vector_index
from concierge.embedding import Embedder, passage_text
from concierge.sandbox.feeds import load_documents, load_sources
from concierge.sandbox.feeds.corpus import Document
from concierge.text.normalize import clean_text, content_hash
from concierge.text.simhash import bands, simhash, to_signed

QUERIES_PATH = Path(__file__).with_name("queries.json")
DUPLICATE_KINDS = {"exact": "exact", "near": "near", "paraphrase": "semantic"}
CUTOFF = 10


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    language: str
    type: str
    text: str
    grades: dict[str, int]  # original's corpus id -> grade (clusters collapsed)
    cross_language: bool = False  # some relevant documents are in the other language


@dataclass(frozen=True)
class Corpus:
    ids: dict[int, str]  # database id -> corpus id
    originals: dict[str, str]  # corpus id -> the corpus id of its original (itself if one)


def embed_passages(embedder: Embedder, documents: Sequence[Document]) -> list[list[float]]:
    texts = [embedder.fit(passage_text(clean_text(d.title), clean_text(d.text))) for d in documents]
    vectors = embedder.encode_passages(texts)
    return [[float(x) for x in row] for row in vectors]


async def register_model(connection: AsyncConnection, name: str, dimensions: int) -> int:
    """The model as the worker registers it, active, with its index."""
    model_id = int(
        await connection.scalar(
            text(
                "INSERT INTO embedding_models (name, dimensions, state, activated_at) "
                "VALUES (:name, :dimensions, 'active', now()) RETURNING id"
            ),
            {"name": name, "dimensions": dimensions},
        )
    )
    await connection.execute(text(create_vector_index(model_id, dimensions, concurrently=False)))
    return model_id


async def load_corpus(
    engine: AsyncEngine, model: str, vectors: Sequence[Sequence[float]]
) -> Corpus:
    """The corpus with these vectors (``embed_passages``, in ``load_documents`` order)."""
    documents = load_documents()
    ids: dict[str, int] = {}
    async with engine.begin() as connection:
        model_id = await register_model(connection, model, len(vectors[0]))
        sources: dict[str, int] = {}
        for source in load_sources():
            sources[source.slug] = await connection.scalar(
                text(
                    "INSERT INTO sources (kind, url, handle, title, poll_interval_s) "
                    "VALUES (:kind, :url, :handle, :title, 900) RETURNING id"
                ),
                {
                    "kind": source.kind,
                    "url": source.site_url if source.kind == "rss" else None,
                    "handle": source.slug if source.kind == "telegram" else None,
                    "title": source.title,
                },
            )
        for document, vector in zip(documents, vectors, strict=True):
            ids[document.id] = await connection.scalar(_INSERT, _row(document, sources, ids))
            await connection.execute(
                _VECTOR, {"model_id": model_id, "id": ids[document.id], "v": json.dumps(vector)}
            )
    originals = {d.id: d.duplicate_of or d.id for d in documents}
    return Corpus(ids={db_id: corpus_id for corpus_id, db_id in ids.items()}, originals=originals)


_INSERT = text(
    "INSERT INTO documents (source_id, kind, external_id, url, title, text, language, "
    "published_at, content_hash, simhash, band0, band1, band2, band3, "
    "duplicate_of, duplicate_kind) VALUES (:source_id, 'post', :external_id, "
    ":url, :title, :text, :language, :published_at, :content_hash, :simhash, :band0, :band1, "
    ":band2, :band3, :duplicate_of, :duplicate_kind) RETURNING id"
)
_VECTOR = text(
    "INSERT INTO document_vectors (model_id, document_id, embedding) "
    "VALUES (:model_id, :id, CAST(:v AS vector))"
)


def _row(document: Document, sources: dict[str, int], ids: dict[str, int]) -> dict[str, Any]:
    body = clean_text(document.text)
    fingerprint = simhash(body)
    b0, b1, b2, b3 = bands(fingerprint)
    return {
        "source_id": sources[document.source],
        "external_id": document.id,
        "url": document.url,
        "title": clean_text(document.title),
        "text": body,
        "language": document.language,
        "published_at": document.published_at,
        "content_hash": content_hash(body),
        "simhash": to_signed(fingerprint),
        "band0": b0,
        "band1": b1,
        "band2": b2,
        "band3": b3,
        "duplicate_of": ids[document.duplicate_of] if document.duplicate_of else None,
        "duplicate_kind": DUPLICATE_KINDS[document.duplicate_kind]
        if document.duplicate_kind
        else None,
    }


def load_queries(originals: dict[str, str]) -> list[LabelledQuery]:
    data = json.loads(QUERIES_PATH.read_text(encoding="utf-8"))
    queries = []
    for raw in data["queries"]:
        grades: dict[str, int] = {}
        for doc_id, grade in raw["relevant"].items():
            root = originals[doc_id]
            grades[root] = max(grades.get(root, 0), int(grade))
        queries.append(
            LabelledQuery(
                raw["id"],
                raw["language"],
                raw["type"],
                raw["query"],
                grades,
                bool(raw.get("cross_language", False)),
            )
        )
    return queries


# --- metrics ---------------------------------------------------------------------------


def recall_at(found: Sequence[str], grades: dict[str, int], k: int = CUTOFF) -> float:
    return len(set(found[:k]) & set(grades)) / len(grades)


def ndcg_at(found: Sequence[str], grades: dict[str, int], k: int = CUTOFF) -> float:
    gains = [2 ** grades.get(doc_id, 0) - 1 for doc_id in found[:k]]
    dcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))
    ideal = sorted((2**grade - 1 for grade in grades.values()), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    return dcg / idcg


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0

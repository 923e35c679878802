"""The demo corpus: eight fictional sources and their posts, packaged as data files.

``data/sources.json`` lists the sources; ``data/documents.jsonl`` holds one document
per line, oldest first. The texts were written for the project (nothing is copied),
in Russian and English, and include deliberate duplicates: a document with
``duplicate_of`` repeats another one exactly, with a word or two changed ("near"),
or in other words ("paraphrase"). The labelled search queries in
``tests/quality/queries.json`` refer to these document ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any, Literal

Kind = Literal["rss", "telegram"]
Language = Literal["ru", "en"]
DuplicateKind = Literal["exact", "near", "paraphrase"]

DATA_PACKAGE = "concierge.sandbox.feeds"
SOURCES_FILE = "sources.json"
DOCUMENTS_FILE = "documents.jsonl"


@dataclass(frozen=True)
class Source:
    slug: str
    title: str
    kind: Kind
    language: Language  # the main language; a source may also publish in the other one
    description: str
    site_url: str


@dataclass(frozen=True)
class Document:
    id: str
    source: str  # Source.slug
    kind: Kind
    language: Language
    title: str  # empty for some channel posts
    text: str  # plain text, paragraphs separated by newlines
    url: str
    published_at: datetime  # timezone-aware, UTC
    duplicate_of: str | None = None  # id of the document this one repeats
    duplicate_kind: DuplicateKind | None = None


def _read(name: str) -> str:
    return resources.files(DATA_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")


def _kind(value: Any) -> Kind:
    if value == "rss":
        return "rss"
    if value == "telegram":
        return "telegram"
    raise ValueError(f"unknown kind: {value!r}")


def _language(value: Any) -> Language:
    if value == "ru":
        return "ru"
    if value == "en":
        return "en"
    raise ValueError(f"unknown language: {value!r}")


def _duplicate_kind(value: Any) -> DuplicateKind | None:
    if value is None:
        return None
    if value == "exact":
        return "exact"
    if value == "near":
        return "near"
    if value == "paraphrase":
        return "paraphrase"
    raise ValueError(f"unknown duplicate kind: {value!r}")


def _timestamp(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a timezone: {value!r}")
    return moment.astimezone(UTC)


@cache
def load_sources() -> tuple[Source, ...]:
    """All sources, in the order of the data file."""
    return tuple(
        Source(
            slug=str(raw["slug"]),
            title=str(raw["title"]),
            kind=_kind(raw["kind"]),
            language=_language(raw["language"]),
            description=str(raw["description"]),
            site_url=str(raw["site_url"]),
        )
        for raw in json.loads(_read(SOURCES_FILE))
    )


@cache
def load_documents() -> tuple[Document, ...]:
    """All documents, oldest first."""
    documents = []
    for line in _read(DOCUMENTS_FILE).splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        documents.append(
            Document(
                id=str(raw["id"]),
                source=str(raw["source"]),
                kind=_kind(raw["kind"]),
                language=_language(raw["language"]),
                title=str(raw["title"]),
                text=str(raw["text"]),
                url=str(raw["url"]),
                published_at=_timestamp(raw["published_at"]),
                duplicate_of=None if raw.get("duplicate_of") is None else str(raw["duplicate_of"]),
                duplicate_kind=_duplicate_kind(raw.get("duplicate_kind")),
            )
        )
    documents.sort(key=lambda document: (document.published_at, document.id))
    return tuple(documents)

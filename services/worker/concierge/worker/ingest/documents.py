"""Items to documents: clean text, language, canonical URL, content hash and simhash.

Two steps: a :class:`Draft` (cleaned text, URL, date; cheap) is all that is needed to
skip known items; :func:`fingerprint` (language, hash, simhash; the CPU-heavy part)
runs in a thread.

The hash and the simhash are taken over the body alone: a channel repost of an
article drops its headline, and it is still the same text. The embedding (made later
by the vector keeper) reads the headline and the start of the body, cut to the model's
window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from concierge.contracts.search import DocumentKind
from concierge.embedding import passage_text
from concierge.text.language import detect_language
from concierge.text.normalize import clean_text, content_hash
from concierge.text.simhash import bands, simhash, to_signed
from concierge.text.urls import canonical_url
from concierge.worker.ingest.parsing import RawItem

MAX_TITLE = 500
MAX_TEXT = 100_000
LANGUAGE_CHARS = 1_000
FUTURE_SLACK = timedelta(hours=1)  # a date further ahead than this is a wrong clock
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # asyncpg refuses NUL; the rest is noise


@dataclass(frozen=True)
class Draft:
    """An item cleaned: enough to embed it and to know whether it is new."""

    external_id: str
    kind: DocumentKind
    url: str | None
    title: str
    text: str
    published_at: datetime

    @property
    def embed_text(self) -> str:
        """What the model is given (before it is cut to the model's window)."""
        return passage_text(self.title, self.text)


@dataclass(frozen=True)
class NewDocument(Draft):
    """A draft with its language and fingerprints: ready to be judged and stored."""

    language: str
    content_hash: str
    simhash: int  # signed, as Postgres stores it
    bands: tuple[int, int, int, int]
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def unsigned_simhash(self) -> int:
        return self.simhash % (1 << 64)


def _url(value: str | None) -> str | None:
    value = _CONTROL.sub("", value or "")
    if not value or not value.lower().startswith(("http://", "https://")):
        return None
    try:
        return canonical_url(value)[:2048]
    except ValueError:
        return None


def draft(item: RawItem, kind: DocumentKind, fetched_at: datetime) -> Draft | None:
    """The item cleaned, or None when it has no text at all."""
    title = clean_text(item.title, is_html=True)[:MAX_TITLE]  # publishers escape twice
    text = clean_text(item.body, is_html=True)[:MAX_TEXT] or title
    if not text:
        return None
    published = item.published_at or fetched_at
    if published > fetched_at + FUTURE_SLACK:
        published = fetched_at
    external_id = _CONTROL.sub("", item.external_id) or content_hash(text)
    return Draft(external_id, kind, _url(item.url), title, text, published)


def fingerprint(draft: Draft) -> NewDocument:
    """Language, content hash and simhash: the CPU-heavy part, done while embedding."""
    value = simhash(draft.text)
    return NewDocument(
        external_id=draft.external_id,
        kind=draft.kind,
        url=draft.url,
        title=draft.title,
        text=draft.text,
        published_at=draft.published_at,
        language=detect_language(f"{draft.title}\n{draft.text[:LANGUAGE_CHARS]}"),
        content_hash=content_hash(draft.text),
        simhash=to_signed(value),
        bands=bands(value),
    )


def drafts(items: list[RawItem], kind: DocumentKind, fetched_at: datetime) -> list[Draft]:
    """Drafts of a fetch, one per external id (a feed that repeats a GUID keeps the
    first), oldest first so an original is stored before its copies."""
    found: dict[str, Draft] = {}
    for item in items:
        cleaned = draft(item, kind, fetched_at)
        if cleaned is not None:
            found.setdefault(cleaned.external_id, cleaned)
    return sorted(found.values(), key=lambda d: (d.published_at, d.external_id))


def build_document(item: RawItem, kind: DocumentKind, fetched_at: datetime) -> NewDocument | None:
    cleaned = draft(item, kind, fetched_at)
    return None if cleaned is None else fingerprint(cleaned)


def build_documents(
    items: list[RawItem], kind: DocumentKind, fetched_at: datetime
) -> list[NewDocument]:
    return [fingerprint(d) for d in drafts(items, kind, fetched_at)]

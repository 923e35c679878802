"""Ingest's API models live in the shared contracts lib; this module names them for api."""

from concierge.contracts.sources import EmbeddingModelRead, SourceCreate, SourceRead, SourceUpdate

__all__ = ["EmbeddingModelRead", "SourceCreate", "SourceRead", "SourceUpdate"]

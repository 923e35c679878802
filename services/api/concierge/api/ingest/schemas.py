"""Ingest's API models live in the shared contracts lib; this module names them for api."""

from concierge.contracts.sources import SourceCreate, SourceRead, SourceUpdate

__all__ = ["SourceCreate", "SourceRead", "SourceUpdate"]

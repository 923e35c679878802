"""Demo feeds: posts and articles written for the project, served as RSS and channel posts."""

from concierge.sandbox.feeds.corpus import Document, Source, load_documents, load_sources

__all__ = ["Document", "Source", "load_documents", "load_sources"]

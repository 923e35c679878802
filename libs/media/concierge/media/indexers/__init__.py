"""The person's own Torznab indexers (Jackett, Prowlarr): caps, search, ranking."""

from concierge.media.indexers.models import (
    IndexerCaps,
    Quality,
    Release,
    ReleasePreferences,
    SearchRequest,
    SearchType,
)

__all__ = [
    "IndexerCaps",
    "Quality",
    "Release",
    "ReleasePreferences",
    "SearchRequest",
    "SearchType",
]

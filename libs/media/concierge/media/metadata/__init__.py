"""Movie and TV metadata: one interface, TMDB and Kinopoisk behind it, a Redis cache."""

from concierge.media.metadata.base import MetadataProvider
from concierge.media.metadata.models import (
    Credit,
    Genre,
    ImageSet,
    Language,
    MediaKind,
    SearchKind,
    SearchPage,
    Title,
    TitleDetails,
)

__all__ = [
    "Credit",
    "Genre",
    "ImageSet",
    "Language",
    "MediaKind",
    "MetadataProvider",
    "SearchKind",
    "SearchPage",
    "Title",
    "TitleDetails",
]

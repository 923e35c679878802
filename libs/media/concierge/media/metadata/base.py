"""The one interface every metadata provider implements (and the cache wraps)."""

from __future__ import annotations

from typing import Protocol

from concierge.media.metadata.models import (
    ImageSet,
    Language,
    MediaKind,
    SearchKind,
    SearchPage,
    Title,
    TitleDetails,
)


class MetadataProvider(Protocol):
    """Search, details with credits, recommendations, images.

    Raises :mod:`concierge.media.errors` (``NotFound`` for an unknown id, ``AuthFailed``
    for a bad key, ``RateLimited``, ``Unreachable``, ``BadResponse``); never another error
    for what the provider answers.
    """

    source: str  # "tmdb" | "kinopoisk"

    async def search(
        self,
        query: str,
        *,
        kind: SearchKind = SearchKind.MULTI,
        language: Language = Language.RU,
        year: int | None = None,
        page: int = 1,
    ) -> SearchPage: ...

    async def details(
        self, id: int, *, kind: MediaKind, language: Language = Language.RU
    ) -> TitleDetails: ...

    async def recommendations(
        self, id: int, *, kind: MediaKind, language: Language = Language.RU
    ) -> list[Title]: ...

    async def images(self, id: int, *, kind: MediaKind) -> ImageSet: ...

"""The one interface every metadata provider implements (and the cache wraps).

``search`` is written here once: it gathers its arguments into a :class:`SearchQuery`
and each provider answers ``_search(query)``. Genres and discovery are TMDB's; a
provider without them says so with ``ProtocolUnsupported``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from concierge.media.errors import ProtocolUnsupported
from concierge.media.metadata import models as m


class MetadataProvider(ABC):
    """Search, details with credits, recommendations, images, genres, discovery.

    Raises :mod:`concierge.media.errors` (``NotFound`` for an unknown id, ``AuthFailed``
    for a bad key, ``RateLimited``, ``Unreachable``, ``BadResponse``); never another error
    for what the provider answers.
    """

    source: str  # "tmdb" | "kinopoisk"

    async def search(
        self,
        query: str,
        *,
        kind: m.SearchKind = m.SearchKind.MULTI,
        language: m.Language = m.Language.RU,
        year: int | None = None,
        page: int = 1,
    ) -> m.SearchPage:
        return await self._search(
            m.SearchQuery(query=query[:200], kind=kind, language=language, year=year, page=page)
        )

    @abstractmethod
    async def _search(self, q: m.SearchQuery) -> m.SearchPage: ...

    @abstractmethod
    async def details(
        self, id: int, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> m.TitleDetails: ...

    @abstractmethod
    async def recommendations(
        self, id: int, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> list[m.Title]: ...

    @abstractmethod
    async def images(self, id: int, *, kind: m.MediaKind) -> m.ImageSet: ...

    async def genres(
        self, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> list[m.Genre]:
        """The provider's genre list (TMDB: ``/genre/{kind}/list``)."""
        raise ProtocolUnsupported(f"{self.source} has no genre list")

    async def discover(
        self,
        *,
        kind: m.MediaKind,
        language: m.Language = m.Language.RU,
        genre_ids: tuple[int, ...] = (),
        page: int = 1,
    ) -> list[m.Title]:
        """Popular titles, in any of ``genre_ids`` when given (TMDB: ``/discover/{kind}``)."""
        return await self._discover(
            m.Discovery(kind=kind, language=language, genre_ids=genre_ids, page=page)
        )

    async def _discover(self, q: m.Discovery) -> list[m.Title]:
        raise ProtocolUnsupported(f"{self.source} has no discovery")

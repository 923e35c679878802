"""Metadata cached in Redis: searches for ``search_ttl_s`` (1 h), details, recommendations
and images for ``details_ttl_s`` (24 h). Keys: ``media:meta:<source>:<what>:<digest of the
arguments>``. Only answers are cached, never errors (a quota error must not stick).

Hits and misses are counted per source and kind of call: the Prometheus counter
``media_metadata_cache_total{source,call,result}`` and ``CachedMetadata.stats`` (for the
benchmark's hit ratio).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter as Tally
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prometheus_client import Counter
from pydantic import BaseModel, TypeAdapter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from concierge.media.metadata import models as m
from concierge.media.metadata.base import MetadataProvider

CACHE = Counter(
    "media_metadata_cache",
    "Metadata lookups answered from the Redis cache (hit) or the provider (miss)",
    ["source", "call", "result"],
)
SEARCH_TTL_S = 3600
DETAILS_TTL_S = 24 * 3600

T = TypeVar("T")
_TITLES = TypeAdapter(list[m.Title])
_GENRES = TypeAdapter(list[m.Genre])


class CachedMetadata(MetadataProvider):
    """A :class:`MetadataProvider` in front of another, with the same interface."""

    def __init__(
        self,
        provider: MetadataProvider,
        redis: Redis,
        *,
        search_ttl_s: int = SEARCH_TTL_S,
        details_ttl_s: int = DETAILS_TTL_S,
    ) -> None:
        self.provider = provider
        self.source = provider.source
        self.redis = redis
        self.search_ttl_s = search_ttl_s
        self.details_ttl_s = details_ttl_s
        self.stats: Tally[str] = Tally()

    @property
    def hit_ratio(self) -> float:
        total = self.stats["hit"] + self.stats["miss"]
        return self.stats["hit"] / total if total else 0.0

    def key(self, call: str, **args: Any) -> str:
        digest = hashlib.sha256(json.dumps(args, sort_keys=True, default=str).encode()).hexdigest()[
            :32
        ]
        return f"media:meta:{self.source}:{call}:{digest}"

    async def _cached(
        self,
        call: str,
        ttl_s: int,
        fetch: Callable[[], Awaitable[T]],
        load: Callable[[Any], T],
        dump: Callable[[T], bytes],
        **args: Any,
    ) -> T:
        key = self.key(call, **args)
        try:
            cached = await self.redis.get(key)
        except RedisError:
            cached = None  # a cache that is away costs time, not answers
        if cached is not None:
            try:
                value = load(cached)
            except ValueError:
                pass
            else:
                self._count(call, "hit")
                return value
        self._count(call, "miss")
        value = await fetch()
        with contextlib.suppress(RedisError):
            await self.redis.set(key, dump(value), ex=ttl_s)
        return value

    def _count(self, call: str, result: str) -> None:
        self.stats[result] += 1
        CACHE.labels(self.source, call, result).inc()

    async def _search(self, q: m.SearchQuery) -> m.SearchPage:
        normalised = " ".join(q.query.lower().split())
        return await self._cached(
            "search",
            self.search_ttl_s,
            lambda: self.provider.search(
                q.query, kind=q.kind, language=q.language, year=q.year, page=q.page
            ),
            m.SearchPage.model_validate_json,
            _dump,
            q=normalised,
            kind=q.kind.value,
            language=q.language.value,
            year=q.year,
            page=q.page,
        )

    async def details(
        self, id: int, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> m.TitleDetails:
        return await self._cached(
            "details",
            self.details_ttl_s,
            lambda: self.provider.details(id, kind=kind, language=language),
            m.TitleDetails.model_validate_json,
            _dump,
            id=id,
            kind=kind.value,
            language=language.value,
        )

    async def recommendations(
        self, id: int, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> list[m.Title]:
        return await self._cached(
            "recommendations",
            self.details_ttl_s,
            lambda: self.provider.recommendations(id, kind=kind, language=language),
            _TITLES.validate_json,
            _TITLES.dump_json,
            id=id,
            kind=kind.value,
            language=language.value,
        )

    async def genres(
        self, *, kind: m.MediaKind, language: m.Language = m.Language.RU
    ) -> list[m.Genre]:
        return await self._cached(
            "genres",
            self.details_ttl_s,
            lambda: self.provider.genres(kind=kind, language=language),
            _GENRES.validate_json,
            _GENRES.dump_json,
            kind=kind.value,
            language=language.value,
        )

    async def _discover(self, q: m.Discovery) -> list[m.Title]:
        return await self._cached(
            "discover",
            self.search_ttl_s,
            lambda: self.provider.discover(
                kind=q.kind, language=q.language, genre_ids=q.genre_ids, page=q.page
            ),
            _TITLES.validate_json,
            _TITLES.dump_json,
            kind=q.kind.value,
            language=q.language.value,
            genres=sorted(q.genre_ids),
            page=q.page,
        )

    async def images(self, id: int, *, kind: m.MediaKind) -> m.ImageSet:
        return await self._cached(
            "images",
            self.details_ttl_s,
            lambda: self.provider.images(id, kind=kind),
            m.ImageSet.model_validate_json,
            _dump,
            id=id,
            kind=kind.value,
        )


def _dump(value: BaseModel) -> bytes:
    return value.model_dump_json().encode()

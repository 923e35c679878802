"""Personal recommendations from a person's history, one function for the button flow
(``GET /media/recommendations``) and the assistant's ``recommend_for_me`` tool.

Seeds are the person's rated titles, newest first: those rated ``LIKED`` or more push
their TMDB recommendations up (a 10 more than a 7, a title near the top of a seed's list
more than one near its end, a title several seeds recommend more than one), those rated
``DISLIKED`` or less push theirs down. Titles in the person's preferred genres get a
boost; what they have watched is never recommended. With no well-rated history (or to
fill the list), TMDB's popular titles in their genres (``discover``), else popular ones.
Every TMDB answer goes through the metadata cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from concierge.contracts.media import RecommendationRead
from concierge.media.errors import MediaError, NotFound
from concierge.media.metadata.base import MetadataProvider
from concierge.media.metadata.models import Language, MediaKind, Title

LIKED = 7
DISLIKED = 4
SEEDS = 8  # liked seeds asked (and as many disliked)
PER_SEED = 20  # of each seed's recommendations
GENRE_BOOST = 0.5
MAX_RESULTS = 20
Reason = Literal["liked", "genres", "popular"]


@dataclass(frozen=True)
class Seen:
    """One watched title of the person's history (TMDB's id)."""

    kind: str
    title_id: int
    title: str
    rating: int | None


@dataclass
class _Scored:
    title: Title
    score: float = 0.0
    because: list[str] = field(default_factory=list)


def _weight(rating: int) -> float:
    """10 → 1, 7 → 0.33, 4 → −0.33, 1 → −1."""
    return (rating - 5.5) / 4.5


async def preferred_genre_ids(metadata: MetadataProvider, names: Sequence[str]) -> frozenset[int]:
    """The TMDB ids of the genres a person named (in English or Russian, or by id)."""
    wanted = {n.strip().lower() for n in names if n.strip()}
    if not wanted:
        return frozenset()
    lists = await asyncio.gather(
        *(
            metadata.genres(kind=kind, language=language)
            for kind in MediaKind
            for language in Language
        ),
        return_exceptions=True,
    )
    ids: set[int] = set()
    for genres in lists:
        if isinstance(genres, MediaError):
            continue
        if isinstance(genres, BaseException):
            raise genres
        ids |= {g.id for g in genres if g.name.lower() in wanted or str(g.id) in wanted}
    return frozenset(ids)


async def recommend(
    metadata: MetadataProvider,
    language: Language,
    history: Sequence[Seen],
    genres: Sequence[str],
    limit: int = 10,
) -> list[RecommendationRead]:
    """Raises ``MediaError`` only when TMDB answered none of the calls it needed."""
    limit = max(1, min(limit, MAX_RESULTS))
    preferred = await preferred_genre_ids(metadata, genres)
    seen = {(h.kind, h.title_id) for h in history}
    rated = [h for h in history if h.rating is not None]
    seeds = [h for h in rated if h.rating is not None and h.rating >= LIKED][:SEEDS] + [
        h for h in rated if h.rating is not None and h.rating <= DISLIKED
    ][:SEEDS]
    scored: dict[tuple[str, int], _Scored] = {}
    failed: MediaError | None = None
    answered = 0
    lists = await asyncio.gather(  # the seeds' lists at once (each cached for a day)
        *(_recommended(metadata, seed, language) for seed in seeds)
    )
    for seed, titles in zip(seeds, lists, strict=True):
        assert seed.rating is not None
        if isinstance(titles, MediaError):
            failed = titles
            continue
        answered += 1
        weight = _weight(seed.rating)
        for position, title in enumerate(titles[:PER_SEED]):
            key = (title.kind.value, title.id)
            if key in seen:
                continue
            entry = scored.setdefault(key, _Scored(title))
            entry.score += weight * (1 - position / (2 * PER_SEED))
            if weight > 0 and seed.title not in entry.because:
                entry.because.append(seed.title)
    if seeds and not answered and failed is not None:
        raise failed

    def boosted(entry: _Scored) -> float:
        return entry.score + (GENRE_BOOST if preferred & set(entry.title.genre_ids) else 0)

    liked = sorted(
        (e for e in scored.values() if e.because),
        key=lambda e: (-boosted(e), -(e.title.rating or 0)),
    )
    results = [_read(e.title, "liked", e.because, preferred) for e in liked[:limit]]
    if len(results) < limit:
        disliked = {k for k, e in scored.items() if not e.because}
        shown = {(r.kind, r.id) for r in results}
        try:
            popular = await _popular(metadata, language, preferred)
        except MediaError:
            if not results and failed is None:
                raise
            popular = []
        reason: Reason = "genres" if preferred else "popular"
        for title in popular:
            key = (title.kind.value, title.id)
            if key in seen or key in shown or key in disliked:
                continue
            shown.add(key)
            results.append(_read(title, reason, [], preferred))
            if len(results) >= limit:
                break
    return results


async def _recommended(
    metadata: MetadataProvider, seed: Seen, language: Language
) -> list[Title] | MediaError:
    """A seed's recommendations; none for a title TMDB no longer has; the error else."""
    try:
        return await metadata.recommendations(
            seed.title_id, kind=MediaKind(seed.kind), language=language
        )
    except NotFound:
        return []
    except MediaError as exc:
        return exc


async def _popular(
    metadata: MetadataProvider, language: Language, preferred: frozenset[int]
) -> list[Title]:
    genre_ids = tuple(sorted(preferred))
    movies = await metadata.discover(kind=MediaKind.MOVIE, language=language, genre_ids=genre_ids)
    try:
        series = await metadata.discover(kind=MediaKind.TV, language=language, genre_ids=genre_ids)
    except MediaError:
        series = []
    return movies + series


def _read(
    title: Title, reason: Reason, because: list[str], preferred: frozenset[int]
) -> RecommendationRead:
    return RecommendationRead(
        id=title.id,
        kind=title.kind.value,
        title=title.title,
        original_title=title.original_title,
        year=title.year,
        rating=title.rating,
        reason=reason,
        because=because[:3],
        in_your_genres=bool(preferred & set(title.genre_ids)),
    )

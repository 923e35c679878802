"""The tools the media assistant may call, each with typed arguments (pydantic-ai builds
their schemas and validates the model's arguments). None of them adds anything: the
last step is ``propose_release``, and only the person's button adds.

What a tool returns is data for the model. Release titles and descriptions come from
trackers and may carry instructions ("ignore your rules and add …"): they go back as
tool results, never as instructions, and nothing the model does with them can add a
torrent or reach another person's data (every tool works on the caller's own sources).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic_ai import ModelRetry, RunContext

from concierge.api.media.conversation.proposals import Proposal, ProposalStore
from concierge.api.media.recommend import Seen, recommend
from concierge.media.errors import MediaError
from concierge.media.indexers.models import (
    Quality,
    Release,
    ReleasePreferences,
    SearchRequest,
    SearchType,
)
from concierge.media.indexers.ranking import rank
from concierge.media.indexers.torznab import TorznabIndexer
from concierge.media.metadata.base import MetadataProvider
from concierge.media.metadata.models import Language, MediaKind, SearchKind
from concierge.media.seedbox.base import Seedbox

RESULTS = 5
DESCRIPTION_CHARS = 200


@dataclass
class MediaSources:
    """One person's sources for one turn: the metadata (the deployment's or their key),
    their indexers and seedbox (None: they have none, the magnet link is given)."""

    user_id: int
    metadata: MetadataProvider
    indexers: list[TorznabIndexer]
    seedbox: Seedbox | None
    proposals: ProposalStore
    prefs: ReleasePreferences = field(default_factory=ReleasePreferences)
    language: Language = Language.RU
    history: list[Seen] = field(default_factory=list)  # read before the turn
    genres: list[str] = field(default_factory=list)
    found: dict[int, Release] = field(default_factory=dict)  # this turn's releases by ref
    proposed: list[Proposal] = field(default_factory=list)


async def search_titles(
    ctx: RunContext[MediaSources], query: str, year: int | None = None
) -> list[dict[str, Any]]:
    """Find films and series by title (Russian or English)."""
    try:
        page = await ctx.deps.metadata.search(
            query[:200], kind=SearchKind.MULTI, language=ctx.deps.language, year=year
        )
    except MediaError as exc:
        return [{"error": str(exc)}]
    fields = {"id", "kind", "title", "original_title", "year"}
    return [title.model_dump(include=fields, mode="json") for title in page.results[:RESULTS]]


async def title_details(
    ctx: RunContext[MediaSources], id: int, kind: Literal["movie", "tv"]
) -> dict[str, Any]:
    """Details of one title: overview, genres, runtime, directors and cast."""
    try:
        details = await ctx.deps.metadata.details(
            id, kind=MediaKind(kind), language=ctx.deps.language
        )
    except MediaError as exc:
        return {"error": str(exc)}
    shown = details.model_dump(
        include={"id", "kind", "title", "year", "overview", "genres", "runtime_min"}, mode="json"
    )
    return {**shown, "directors": details.directors, "cast": details.cast[:5]}


async def recommendations(
    ctx: RunContext[MediaSources], id: int, kind: Literal["movie", "tv"]
) -> list[dict[str, Any]]:
    """Titles like this one."""
    try:
        titles = await ctx.deps.metadata.recommendations(
            id, kind=MediaKind(kind), language=ctx.deps.language
        )
    except MediaError as exc:
        return [{"error": str(exc)}]
    return [
        t.model_dump(include={"id", "kind", "title", "year"}, mode="json") for t in titles[:RESULTS]
    ]


async def recommend_for_me(ctx: RunContext[MediaSources], limit: int = 5) -> list[dict[str, Any]]:
    """Titles for this person from their own watch history and ratings (what they liked
    recommends, what they disliked pushes down, their genres boost; nothing they have
    watched). Use it for "what should I watch?". Each has ``because``: the liked titles
    that recommend it."""
    try:
        found = await recommend(
            ctx.deps.metadata,
            ctx.deps.language,
            ctx.deps.history,
            ctx.deps.genres,
            max(1, min(limit, 10)),
        )
    except MediaError as exc:
        return [{"error": str(exc)}]
    return [
        r.model_dump(include={"id", "kind", "title", "year", "reason", "because"}, mode="json")
        for r in found
    ]


async def search_releases(
    ctx: RunContext[MediaSources],
    title: str,
    tmdb_id: int | None = None,
    kind: Literal["movie", "tv"] = "movie",
    quality: Literal["480p", "720p", "1080p", "2160p"] | None = None,
) -> list[dict[str, Any]] | dict[str, str]:
    """Search the person's own indexers for releases of a title, best first by their
    quality and audio preferences, seeders and size. Each result has a ``ref`` to pass
    to ``propose_release``."""
    if not ctx.deps.indexers:
        return {"error": "the person has connected no indexer"}
    request = SearchRequest(
        query=title[:200],
        type=SearchType.MOVIE if kind == "movie" else SearchType.TV,
        tmdb_id=tmdb_id,
        limit=50,
    )
    found: list[Release] = []
    failures = []
    for indexer in ctx.deps.indexers:
        try:
            found.extend(await indexer.search(request))
        except MediaError as exc:
            failures.append(f"{indexer.name}: {exc}")
    prefs = ctx.deps.prefs
    if quality is not None:
        prefs = prefs.model_copy(update={"quality": Quality(int(quality.removesuffix("p")))})
    shown = []
    for release in [r for r in rank(found, prefs) if r.addable][:RESULTS]:
        ref = len(ctx.deps.found) + 1
        ctx.deps.found[ref] = release
        shown.append(_release_view(ref, release))
    if not shown and failures:
        return {"error": "; ".join(failures)}
    return shown


def quality_label(quality: Quality) -> str:
    return f"{quality.value}p" if quality else "unknown"


def _release_view(ref: int, release: Release) -> dict[str, Any]:
    return {
        "ref": ref,
        "title": release.title,
        "size_gb": round(release.size / 2**30, 2) if release.size else None,
        "quality": quality_label(release.quality),
        "audio": release.audio,
        "seeders": release.seeders,
        "indexer": release.indexer,
        "description": release.description[:DESCRIPTION_CHARS],
    }


async def propose_release(ctx: RunContext[MediaSources], ref: int) -> str:
    """Propose one release (by its ``ref`` from ``search_releases``) to the person. They
    decide with buttons: you cannot add anything yourself."""
    release = ctx.deps.found.get(ref)
    if release is None:
        raise ModelRetry(f"no release has ref {ref}; use a ref from search_releases")
    if any(p.release.guid == release.guid for p in ctx.deps.proposed):
        return "already proposed"
    proposal = await ctx.deps.proposals.save(ctx.deps.user_id, release)
    ctx.deps.proposed.append(proposal)
    return "proposed: the person now sees Add / Other options / Cancel buttons"


async def seedbox_torrents(ctx: RunContext[MediaSources]) -> list[dict[str, Any]] | dict[str, str]:
    """The person's torrents on their seedbox, with progress."""
    if ctx.deps.seedbox is None:
        return {"error": "the person has no seedbox connected"}
    try:
        torrents = await ctx.deps.seedbox.list()
    except MediaError as exc:
        return {"error": str(exc)}
    return [
        {"name": t.name, "state": t.state.value, "progress": round(t.progress * 100)}
        for t in torrents[:20]
    ]


TOOLS: list[Callable[..., Any]] = [
    search_titles,
    title_details,
    recommendations,
    recommend_for_me,
    search_releases,
    propose_release,
    seedbox_torrents,
]

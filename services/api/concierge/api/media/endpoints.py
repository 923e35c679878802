"""The media routes: a person's preferences, indexers and seedboxes (tested before they
are stored), history and ratings, downloads, the button flow (titles → releases →
proposals), Add / Other options / Cancel, the NDJSON conversation, and the worker's
service call for a seedbox's connection (service token)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints

from concierge.api.identity.deps import WebUser
from concierge.api.media.conversation.service import MediaConversation
from concierge.api.media.deps import ConversationDep, MediaDeskDep
from concierge.api.params import id_path
from concierge.common.auth import require_service_token
from concierge.common.errors import Invalid, Unavailable
from concierge.common.openapi import raises
from concierge.contracts.errors import ErrorCode
from concierge.contracts.media import (
    AddResult,
    ConversationTurn,
    DownloadRating,
    DownloadRead,
    GenreRead,
    IndexerCreate,
    IndexerRead,
    MediaPreferencesRead,
    MediaPreferencesUpdate,
    ProposalRead,
    RecommendationRead,
    SeedboxCreate,
    SeedboxRead,
    TitleRead,
    WatchedCreate,
    WatchedRead,
)
from concierge.contracts.text import SINGLE_LINE

log = logging.getLogger(__name__)

router = APIRouter(prefix="/media", tags=["media"])
service_router = APIRouter(
    prefix="/media/service", tags=["media"], dependencies=[Depends(require_service_token)]
)

IndexerId = Annotated[int, id_path("The indexer's id")]
SeedboxId = Annotated[int, id_path("The seedbox connection's id")]
DownloadId = Annotated[int, id_path("The download's id")]
ProposalToken = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,32}$", description="Proposal")]
SearchText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    SINGLE_LINE,
    Query(description="What to look for"),
]


@router.get("/preferences", response_model=MediaPreferencesRead)
async def preferences(user: WebUser, desk: MediaDeskDep) -> MediaPreferencesRead:
    """The caller's preferences (the defaults until they onboard)."""
    return await desk.preferences(user)


@router.put("/preferences", response_model=MediaPreferencesRead)
async def update_preferences(
    data: MediaPreferencesUpdate, user: WebUser, desk: MediaDeskDep
) -> MediaPreferencesRead:
    """Set quality, audio languages, genres, notifications (marks the person onboarded)."""
    return await desk.update_preferences(user, data)


@router.get("/indexers", response_model=list[IndexerRead])
async def indexers(user: WebUser, desk: MediaDeskDep) -> list[IndexerRead]:
    """The caller's Torznab indexers (never their keys)."""
    return [IndexerRead.model_validate(r, from_attributes=True) for r in await desk.indexers(user)]


@router.post("/indexers", response_model=IndexerRead, status_code=status.HTTP_201_CREATED)
@raises(409, 422, 503)
async def add_indexer(data: IndexerCreate, user: WebUser, desk: MediaDeskDep) -> IndexerRead:
    """Connect an indexer: its caps are asked first; nothing is stored unless that works."""
    row = await desk.add_indexer(user, data)
    return IndexerRead.model_validate(row, from_attributes=True)


@router.delete("/indexers/{indexer_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def delete_indexer(indexer_id: IndexerId, user: WebUser, desk: MediaDeskDep) -> Response:
    await desk.delete_indexer(user, indexer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/seedboxes", response_model=list[SeedboxRead])
async def seedboxes(user: WebUser, desk: MediaDeskDep) -> list[SeedboxRead]:
    """The caller's seedbox connections (never their passwords)."""
    return [SeedboxRead.model_validate(r, from_attributes=True) for r in await desk.seedboxes(user)]


@router.post("/seedboxes", response_model=SeedboxRead, status_code=status.HTTP_201_CREATED)
@raises(409, 422, 503)
async def add_seedbox(data: SeedboxCreate, user: WebUser, desk: MediaDeskDep) -> SeedboxRead:
    """Connect a seedbox: a test connection first; nothing is stored unless it passes. A
    private address only with ``on_my_lan`` (the person's mark that it is theirs)."""
    row = await desk.add_seedbox(user, data)
    return SeedboxRead.model_validate(row, from_attributes=True)


@router.delete("/seedboxes/{seedbox_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def delete_seedbox(seedbox_id: SeedboxId, user: WebUser, desk: MediaDeskDep) -> Response:
    """Forget the connection and stop following its downloads."""
    await desk.delete_seedbox(user, seedbox_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/history", response_model=list[WatchedRead])
async def history(user: WebUser, desk: MediaDeskDep) -> list[WatchedRead]:
    """What the caller watched, newest first, with their ratings."""
    return [WatchedRead.model_validate(r, from_attributes=True) for r in await desk.watched(user)]


@router.post("/history", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def mark_watched(data: WatchedCreate, user: WebUser, desk: MediaDeskDep) -> Response:
    """Mark a title watched, with a rating 1–10 (again: the rating changes). A TMDB id
    TMDB does not know: 404."""
    await desk.mark_watched(user, data)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/recommendations", response_model=list[RecommendationRead])
@raises(503)
async def recommendations(
    user: WebUser,
    desk: MediaDeskDep,
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
) -> list[RecommendationRead]:
    """Titles for the caller from their history and ratings (each says why), in their
    preferred genres first; with no history, popular titles in their genres."""
    return await desk.recommendations(user, limit)


@router.get("/genres", response_model=list[GenreRead])
@raises(503)
async def genres(user: WebUser, desk: MediaDeskDep) -> list[GenreRead]:
    """TMDB's genres in the caller's language; preferences hold their ``key``."""
    return await desk.genres(user)


@router.get("/downloads", response_model=list[DownloadRead])
async def downloads(
    user: WebUser,
    desk: MediaDeskDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> list[DownloadRead]:
    """The caller's downloads, newest first."""
    rows = await desk.downloads(user, limit, offset)
    return [DownloadRead.model_validate(r, from_attributes=True) for r in rows]


@router.post("/downloads/{download_id}/rating", response_model=WatchedRead)
@raises(404, 409)
async def rate_download(
    download_id: DownloadId, data: DownloadRating, user: WebUser, desk: MediaDeskDep
) -> WatchedRead:
    """Rate the title a download of the caller's was (the "done" message's buttons): it
    goes to their history. 409 when the release named no title."""
    row = await desk.rate_download(user, download_id, data.rating)
    return WatchedRead.model_validate(row, from_attributes=True)


@router.get("/titles", response_model=list[TitleRead])
@raises(503)
async def titles(q: SearchText, user: WebUser, desk: MediaDeskDep) -> list[TitleRead]:
    """Films and series by title (the button flow's first step)."""
    return await desk.titles(user, q)


@router.get("/releases", response_model=list[ProposalRead])
@raises(409, 503)
async def releases(
    q: SearchText,
    user: WebUser,
    desk: MediaDeskDep,
    tmdb_id: Annotated[int | None, Query(ge=1, lt=2**31)] = None,
    kind: Annotated[str, Query(pattern=r"^(movie|tv)$")] = "movie",
    quality: Annotated[int | None, Query()] = None,
) -> list[ProposalRead]:
    """Releases of a title from the caller's indexers, best first by their preferences;
    each is a proposal (Add / Other options / Cancel take its token)."""
    if quality is not None and quality not in (480, 720, 1080, 2160):
        raise Invalid("quality is one of 480, 720, 1080, 2160")
    return await desk.releases(user, q, tmdb_id=tmdb_id, kind=kind, quality=quality)


@router.post("/proposals/{token}/add", response_model=AddResult)
@raises(404, 409, 422, 503)
async def add(
    token: ProposalToken,
    user: WebUser,
    desk: MediaDeskDep,
    seedbox_id: Annotated[int | None, Query(ge=1, lt=2**63)] = None,
) -> AddResult:
    """Add the proposed release to the caller's seedbox (the first, or ``seedbox_id``) and
    follow it; without a seedbox, the magnet link."""
    return await desk.add(user, token, seedbox_id)


@router.post("/proposals/{token}/other", response_model=list[ProposalRead])
@raises(404, 409, 503)
async def other(token: ProposalToken, user: WebUser, desk: MediaDeskDep) -> list[ProposalRead]:
    """Other releases of the same title instead of this one."""
    return await desk.other(user, token)


@router.post("/proposals/{token}/cancel", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def cancel(token: ProposalToken, user: WebUser, desk: MediaDeskDep) -> Response:
    await desk.cancel(user, token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/conversation",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
@raises(503)
async def conversation(
    data: ConversationTurn, user: WebUser, desk: MediaDeskDep, chat: ConversationDep
) -> StreamingResponse:
    """One turn of the caller's conversation, streamed as NDJSON: ``text`` pieces, ``tool``
    (show typing), ``proposal`` (token, title, size, quality, seeders), then ``done`` or
    ``error``. 503 when no LLM is configured (the button flow works without one)."""
    if chat is None:
        raise Unavailable(
            "No language model is configured: search by buttons instead",
            code=ErrorCode.MEDIA_NO_LLM,
        )
    sources = await desk.sources(user)
    return StreamingResponse(_stream(chat, sources, data.text), media_type="application/x-ndjson")


async def _stream(chat: MediaConversation, sources: Any, text: str) -> AsyncIterator[bytes]:
    ended = False
    try:
        async with sources as opened:
            async for event in chat.turn(opened, text):
                ended = event["type"] in ("done", "error")
                yield (json.dumps(event, ensure_ascii=False) + "\n").encode()
    except Exception as exc:  # the stream has begun: the error goes in it
        log.warning("media conversation failed: %s", type(exc).__name__)
        if not ended:
            yield (json.dumps({"type": "error", "reason": "the turn failed"}) + "\n").encode()
    finally:
        await chat.aclose()


@router.delete("/conversation", status_code=status.HTTP_204_NO_CONTENT)
async def forget(user: WebUser, chat: ConversationDep) -> Response:
    """Start the conversation afresh (its history is dropped)."""
    if chat is not None:
        try:
            await chat.forget(user.id)
        finally:
            await chat.aclose()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@service_router.get("/seedboxes/{seedbox_id}")
@raises(404)
async def service_seedbox(
    seedbox_id: SeedboxId,
    desk: MediaDeskDep,
    user_id: Annotated[int, Query(ge=1, lt=2**63)],
) -> dict[str, object]:
    """A person's seedbox connection with its password, for the worker's download watcher
    only (service token). Another person's id: 404."""
    return await desk.service_seedbox(user_id, seedbox_id)

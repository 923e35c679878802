"""The feed routes: a reader's feed (``/api/v1/feed``, the Mini App's sign-in or the bot
acting for the reader) and the worker's nudges (service token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status

from concierge.api.feed.deps import FeedDeskDep
from concierge.api.feed.schemas import (
    BrowseLimit,
    ChannelAdd,
    ChannelRead,
    FeedNext,
    FeedPost,
    FeedState,
    NudgeSummary,
    RatingCreate,
    RatingRead,
    ReaderSettings,
    SourceId,
    TrainingStep,
)
from concierge.api.identity.deps import WebUser
from concierge.common.auth import require_service_token
from concierge.common.openapi import raises

router = APIRouter(prefix="/feed", tags=["feed"])
service_router = APIRouter(
    prefix="/feed/service", tags=["feed"], dependencies=[Depends(require_service_token)]
)


@router.get("", response_model=FeedState)
async def feed_state(user: WebUser, desk: FeedDeskDep) -> FeedState:
    """The reader's status, channels, training progress and model."""
    return await desk.state(user)


@router.post("/start", response_model=FeedState)
@raises(409)
async def start(user: WebUser, desk: FeedDeskDep) -> FeedState:
    """Open the feed: a new reader starts onboarding; a churned one is active again."""
    return await desk.start(user)


@router.get("/suggestions", response_model=list[ChannelRead])
async def suggestions(user: WebUser, desk: FeedDeskDep) -> list[ChannelRead]:
    """Channels and feeds to pick from (those the reader does not follow yet)."""
    return await desk.suggestions(user)


@router.get("/channels", response_model=list[ChannelRead])
async def channels(user: WebUser, desk: FeedDeskDep) -> list[ChannelRead]:
    return await desk.channels(user)


@router.post("/channels", response_model=ChannelRead, status_code=status.HTTP_201_CREATED)
@raises(404, 409, 422, 503)
async def add_channel(data: ChannelAdd, user: WebUser, desk: FeedDeskDep) -> ChannelRead:
    """Follow a known source (``source_id``) or a Telegram channel by ``ref`` (@name or a
    t.me link), checked through the user-bot: a channel that does not exist is a 404; a
    private one or a user rather than a channel a 422; nothing is stored then."""
    return await desk.add_channel(user, data)


@router.delete("/channels/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises(404)
async def remove_channel(source_id: SourceId, user: WebUser, desk: FeedDeskDep) -> Response:
    await desk.remove_channel(user, source_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/training", response_model=TrainingStep)
@raises(409)
async def begin_training(user: WebUser, desk: FeedDeskDep) -> TrainingStep:
    """Start the training round (onboarding → training; with no channel a 409)."""
    return await desk.begin_training(user)


@router.get("/training/next", response_model=TrainingStep)
@raises(409)
async def training_next(user: WebUser, desk: FeedDeskDep) -> TrainingStep:
    """The next post to rate, with progress; none left ends the round (trained)."""
    return await desk.training_step(user)


@router.post("/ratings", response_model=RatingRead)
@raises(404, 409, 429)
async def rate(data: RatingCreate, user: WebUser, desk: FeedDeskDep) -> RatingRead:
    """Like, dislike or skip a post of the reader's channels (one rating per post; again
    changes it). Too many in a minute is a 429."""
    return await desk.rate(user, data)


@router.get("/next", response_model=FeedNext)
@raises(409)
async def next_post(user: WebUser, desk: FeedDeskDep) -> FeedNext:
    """The best unseen post (marked seen: it never comes back)."""
    return await desk.next_post(user)


@router.get("/posts", response_model=list[FeedPost])
async def browse(user: WebUser, desk: FeedDeskDep, limit: BrowseLimit = 20) -> list[FeedPost]:
    """The reader's best unseen posts in order (the Mini App's page; nothing marked seen)."""
    return await desk.browse(user, limit)


@router.get("/settings", response_model=ReaderSettings)
async def reader_settings(user: WebUser, desk: FeedDeskDep) -> ReaderSettings:
    return await desk.settings(user)


@router.put("/settings", response_model=ReaderSettings)
@raises(422)
async def save_settings(data: ReaderSettings, user: WebUser, desk: FeedDeskDep) -> ReaderSettings:
    """Quiet hours for nudges (local hours, as a pair) and the reader's time zone."""
    return await desk.save_settings(user, data)


@service_router.post("/nudges", response_model=NudgeSummary)
async def nudges(request: Request, desk: FeedDeskDep) -> NudgeSummary:
    """The worker's schedule: nudge readers idle for ``API_FEED_NUDGE_AFTER_DAYS``."""
    settings = request.app.state.settings
    return await desk.nudge(
        after_days=settings.feed_nudge_after_days, max_ignored=settings.feed_nudge_max_ignored
    )

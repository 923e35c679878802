"""The feed API's models (from libs/contracts) and its path and query parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from concierge.api.params import id_path
from concierge.contracts.feed import (
    ChannelAdd,
    ChannelRead,
    FeedNext,
    FeedPost,
    FeedState,
    NudgeSummary,
    RatingCreate,
    RatingRead,
    ReaderSettings,
    TrainingStep,
)

SourceId = Annotated[int, id_path("The source's (channel's) id")]
BrowseLimit = Annotated[int, Query(ge=1, le=50, description="Posts per answer")]

__all__ = [
    "BrowseLimit",
    "ChannelAdd",
    "ChannelRead",
    "FeedNext",
    "FeedPost",
    "FeedState",
    "NudgeSummary",
    "RatingCreate",
    "RatingRead",
    "ReaderSettings",
    "SourceId",
    "TrainingStep",
]

"""The feed desk's models: a reader's channels, the training round, ratings, the next post
of their personal feed, and the nudges the worker asks the api to send."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from concierge.contracts.identity import UserStatus
from concierge.contracts.ids import BodyRowId
from concierge.contracts.text import SINGLE_LINE


class Verdict(StrEnum):
    LIKE = "like"
    DISLIKE = "dislike"
    SKIP = "skip"


VERDICT_VALUE: dict[Verdict, int] = {Verdict.LIKE: 1, Verdict.DISLIKE: -1, Verdict.SKIP: 0}
VALUE_VERDICT: dict[int, Verdict] = {value: verdict for verdict, value in VERDICT_VALUE.items()}


class ModelKind(StrEnum):
    """How a reader's posts are ranked: newest first (no ratings yet), the content model
    (likes pull, dislikes push over the posts' embeddings), the trained classifier."""

    NONE = "none"
    CONTENT = "content"
    LOGISTIC = "logistic"


# A channel's reference as people type it: @name, t.me/name, https://t.me/name, or
# an invite link (t.me/+hash, t.me/joinchat/hash).
ChannelRef = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200), SINGLE_LINE
]


class ChannelAdd(BaseModel):
    """Subscribe to a known source (``source_id``) or to a Telegram channel by ``ref``."""

    model_config = ConfigDict(extra="forbid")

    source_id: BodyRowId | None = None
    ref: ChannelRef | None = None


class ChannelRead(BaseModel):
    source_id: int
    kind: str
    title: str
    handle: str | None
    posts: int = Field(description="Posts of the channel a reader may be shown")


class TrainingPost(BaseModel):
    document_id: int
    source_id: int
    channel: str
    title: str
    text: str
    url: str | None
    published_at: datetime


class TrainingStep(BaseModel):
    """The next post of the training round (None when the round is over), and progress."""

    post: TrainingPost | None
    done: int
    total: int
    status: UserStatus


class RatingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_id: BodyRowId
    verdict: Verdict


class RatingRead(BaseModel):
    document_id: int
    verdict: Verdict
    status: UserStatus
    ratings: int = Field(description="The reader's ratings so far (likes and dislikes)")


class FeedPost(TrainingPost):
    score: float | None = Field(description="The model's score; None when explored or unranked")
    explored: bool = Field(description="Picked at random, so the feed does not close in")


class FeedNext(BaseModel):
    post: FeedPost | None
    model: ModelKind
    status: UserStatus


class FeedState(BaseModel):
    status: UserStatus
    channels: int
    ratings: int
    training_done: int
    training_total: int
    model: ModelKind
    model_ratings: int = Field(description="Ratings the stored model was trained on")
    trained_at: datetime | None


class ReaderSettings(BaseModel):
    """Quiet hours (local time, the pair or neither) and time zone for nudges."""

    model_config = ConfigDict(extra="forbid")

    quiet_from: Annotated[int, Field(ge=0, le=23)] | None = None
    quiet_to: Annotated[int, Field(ge=0, le=23)] | None = None
    timezone: Annotated[
        str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$")
    ] = "UTC"


class NudgeSummary(BaseModel):
    nudged: int
    churned: int
    held_quiet: int

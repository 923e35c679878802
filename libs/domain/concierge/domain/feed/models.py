"""The feed desk: a reader's channels (subscriptions to sources), the posts they rated
(like, dislike, skip; one rating per reader and post) and were shown, the relevance
model stored per reader, and the nudges sent to readers who drifted away.

The reader's status lives on ``users.status`` (new → onboarding → training → trained →
active → churned → active), every move logged in ``user_logs`` by identity's rules.

A nudge is sent once per reader and period: ``feed_nudges`` is unique on (reader,
period), and its outbox row's dedup key is ``feed.nudge:<user>:<period>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from concierge.contracts.feed import ModelKind
from concierge.db import Base


def _users() -> Any:
    return ForeignKey("users.id", ondelete="CASCADE")


def _documents() -> Any:
    return ForeignKey("documents.id", ondelete="CASCADE")


class FeedReader(Base):
    """A reader's feed settings and activity (one row per user who opened the feed)."""

    __tablename__ = "feed_readers"
    __table_args__ = (
        CheckConstraint("(quiet_from IS NULL) = (quiet_to IS NULL)", name="quiet_hours_pair"),
    )

    user_id: Mapped[int] = mapped_column(_users(), primary_key=True)
    last_active_at: Mapped[datetime] = mapped_column(server_default=sql("now()"), index=True)
    ignored_nudges: Mapped[int] = mapped_column(Integer, default=0, server_default=sql("0"))
    last_nudged_at: Mapped[datetime | None]
    quiet_from: Mapped[int | None] = mapped_column(SmallInteger)
    quiet_to: Mapped[int | None] = mapped_column(SmallInteger)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    created_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))


class FeedChannel(Base):
    __tablename__ = "feed_channels"
    __table_args__ = (UniqueConstraint("user_id", "source_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(_users(), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))


class FeedRating(Base):
    """value: 1 like, -1 dislike, 0 skip. phase: where it was given (training, feed, nudge)."""

    __tablename__ = "feed_ratings"
    __table_args__ = (
        UniqueConstraint("user_id", "document_id"),
        CheckConstraint("value IN (-1, 0, 1)", name="value_allowed"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(_users(), index=True)
    document_id: Mapped[int] = mapped_column(_documents(), index=True)
    value: Mapped[int] = mapped_column(SmallInteger)
    phase: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))


class FeedSeen(Base):
    """A post shown to a reader in their feed (or a nudge): it never comes back."""

    __tablename__ = "feed_seen"

    user_id: Mapped[int] = mapped_column(_users(), primary_key=True)
    document_id: Mapped[int] = mapped_column(_documents(), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))


class FeedModel(Base):
    """A reader's relevance model: linear in its features, so the api ranks in SQL.

    score = embedding · weights + channel_weights[source] + recency_weight · recency + bias,
    recency = exp(-age_days / 7). ``model_id`` names the embedding model of ``weights``;
    a model of another embedding model than the active one is ignored until retrained.
    """

    __tablename__ = "feed_models"

    user_id: Mapped[int] = mapped_column(_users(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=ModelKind.CONTENT)
    model_id: Mapped[int] = mapped_column(ForeignKey("embedding_models.id", ondelete="CASCADE"))
    weights: Mapped[list[float]] = mapped_column(Vector())
    channel_weights: Mapped[dict[str, float]] = mapped_column(
        JSONB, default=dict, server_default="{}"
    )
    recency_weight: Mapped[float] = mapped_column(Float, default=0.0)
    bias: Mapped[float] = mapped_column(Float, default=0.0)
    ratings_used: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))


class FeedNudge(Base):
    __tablename__ = "feed_nudges"
    __table_args__ = (UniqueConstraint("user_id", "period"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(_users(), index=True)
    period: Mapped[str] = mapped_column(String(32))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(server_default=sql("now()"))
    answered_at: Mapped[datetime | None]

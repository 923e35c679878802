"""Every query of the feed desk; every one scoped to the reader (``user_id``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.identity import UserStatus
from concierge.domain.feed.models import (
    FeedChannel,
    FeedModel,
    FeedNudge,
    FeedRating,
    FeedReader,
    FeedSeen,
)
from concierge.domain.identity.models import User
from concierge.domain.ingest.models import Document, EmbeddingModel, ModelState, Source

TELEGRAM = "telegram"


@dataclass(frozen=True)
class PostRow:
    document_id: int
    source_id: int
    channel: str
    title: str
    text: str
    url: str | None
    published_at: datetime
    score: float | None = None


@dataclass(frozen=True)
class ChannelRow:
    source: Source
    posts: int


@dataclass(frozen=True)
class Progress:
    done: int
    total: int


def _channel_title(source: Source) -> str:
    return source.title or (f"@{source.handle}" if source.handle else source.url or "")


def _vector_literal(weights: Sequence[float]) -> str:
    return "[" + ",".join(f"{float(value):.7g}" for value in weights) + "]"


# The candidates of a reader: originals of their channels' enabled sources, never rated
# nor shown to them. The score is the stored model's (concierge.worker.feed.relevance):
# embedding · weights + the channel's weight + recency_weight · exp(-age/7 d) + bias.
_CANDIDATES = """
FROM feed_channels c
JOIN sources s ON s.id = c.source_id AND s.enabled
JOIN documents d ON d.source_id = c.source_id AND d.duplicate_of IS NULL
{vector_join}
WHERE c.user_id = :user_id
  AND NOT EXISTS (SELECT 1 FROM feed_seen f WHERE f.user_id = :user_id AND f.document_id = d.id)
  AND NOT EXISTS (
      SELECT 1 FROM feed_ratings r WHERE r.user_id = :user_id AND r.document_id = d.id)
"""
_POST_COLUMNS = (
    "d.id AS document_id, d.source_id, coalesce(s.title, s.handle, s.url, '') AS channel, "
    "d.title, d.text, d.url, d.published_at"
)
_VISIBLE = f"""
SELECT {_POST_COLUMNS} FROM feed_channels c
JOIN sources s ON s.id = c.source_id
JOIN documents d ON d.source_id = c.source_id
WHERE c.user_id = :user_id AND d.id = :document_id
"""  # noqa: S608 (constant fragments; every value is bound)
# Channels take turns: the channel with the fewest training ratings that lacks some.
_NEXT_TRAINING = f"""
WITH rated AS (
  SELECT d.source_id, count(*) AS n FROM feed_ratings r
  JOIN documents d ON d.id = r.document_id
  WHERE r.user_id = :user_id AND r.phase = 'training'
  GROUP BY d.source_id)
SELECT {_POST_COLUMNS}
{_CANDIDATES.format(vector_join="LEFT JOIN rated ON rated.source_id = c.source_id")}
  AND coalesce(rated.n, 0) < :per
ORDER BY coalesce(rated.n, 0), c.id, d.published_at DESC, d.id DESC
LIMIT 1
"""  # noqa: S608 (constant fragments; every value is bound)
_SCORE = """
  (CASE WHEN v.embedding IS NULL THEN 0
        ELSE -(v.embedding <#> CAST(:weights AS vector)) END)
  + coalesce((CAST(:channel_weights AS jsonb) ->> d.source_id::text)::float8, 0)
  + :recency_weight * exp(-greatest(extract(epoch FROM (:now - d.published_at)), 0)
                          / 86400.0 / 7.0)
  + :bias
"""


class FeedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def now(self) -> datetime:
        now = await self.session.scalar(select(func.now()))
        assert now is not None
        return now

    # --- readers ------------------------------------------------------------------------

    async def reader(self, user_id: int) -> FeedReader:
        """The reader's row, made on first use."""
        await self.session.execute(
            insert(FeedReader).values(user_id=user_id).on_conflict_do_nothing()
        )
        reader = await self.session.get(FeedReader, user_id)
        assert reader is not None
        return reader

    async def touch(self, user_id: int, now: datetime) -> None:
        """The reader did something: active now, their nudges answered."""
        await self.session.execute(
            update(FeedReader)
            .where(FeedReader.user_id == user_id)
            .values(last_active_at=now, ignored_nudges=0)
        )
        await self.session.execute(
            update(FeedNudge)
            .where(FeedNudge.user_id == user_id, FeedNudge.answered_at.is_(None))
            .values(answered_at=now)
        )

    # --- channels -----------------------------------------------------------------------

    async def source(self, source_id: int) -> Source | None:
        return await self.session.scalar(
            select(Source).where(Source.id == source_id, Source.enabled)
        )

    async def telegram_source(self, handle: str) -> Source | None:
        return await self.session.scalar(
            select(Source).where(
                Source.kind == TELEGRAM, func.lower(Source.handle) == handle.lower()
            )
        )

    async def add_telegram_source(self, handle: str, title: str | None) -> Source:
        source = await self.session.scalar(
            insert(Source)
            .values(kind=TELEGRAM, handle=handle, title=title)
            .on_conflict_do_nothing()
            .returning(Source)
        )
        if source is None:
            found = await self.telegram_source(handle)
            assert found is not None
            return found
        return source

    async def _posts(self, source_ids: Sequence[int]) -> dict[int, int]:
        if not source_ids:
            return {}
        rows = await self.session.execute(
            select(Document.source_id, func.count())
            .where(Document.source_id.in_(source_ids), Document.duplicate_of.is_(None))
            .group_by(Document.source_id)
        )
        return {int(source): int(count) for source, count in rows.all() if source is not None}

    async def suggestions(self, user_id: int, limit: int) -> list[ChannelRow]:
        """Enabled sources the reader has not picked, channels first, the fullest first."""
        picked = exists().where(FeedChannel.user_id == user_id, FeedChannel.source_id == Source.id)
        count = (
            select(func.count())
            .where(Document.source_id == Source.id, Document.duplicate_of.is_(None))
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(Source, count)
            .where(Source.enabled, ~picked)
            .order_by((Source.kind == TELEGRAM).desc(), count.desc(), Source.id)
            .limit(limit)
        )
        return [ChannelRow(source, int(posts)) for source, posts in rows.all() if posts]

    async def channels(self, user_id: int) -> list[ChannelRow]:
        sources = (
            await self.session.scalars(
                select(Source)
                .join(FeedChannel, FeedChannel.source_id == Source.id)
                .where(FeedChannel.user_id == user_id)
                .order_by(FeedChannel.id)
            )
        ).all()
        posts = await self._posts([source.id for source in sources])
        return [ChannelRow(source, posts.get(source.id, 0)) for source in sources]

    async def channel_count(self, user_id: int) -> int:
        count = await self.session.scalar(
            select(func.count()).where(FeedChannel.user_id == user_id)
        )
        return int(count or 0)

    async def add_channel(self, user_id: int, source_id: int) -> bool:
        added = await self.session.scalar(
            insert(FeedChannel)
            .values(user_id=user_id, source_id=source_id)
            .on_conflict_do_nothing()
            .returning(FeedChannel.id)
        )
        return added is not None

    async def remove_channel(self, user_id: int, source_id: int) -> bool:
        removed = await self.session.scalar(
            delete(FeedChannel)
            .where(FeedChannel.user_id == user_id, FeedChannel.source_id == source_id)
            .returning(FeedChannel.id)
        )
        return removed is not None

    # --- posts --------------------------------------------------------------------------

    async def visible_post(self, user_id: int, document_id: int) -> PostRow | None:
        """A post of one of the reader's channels (else None: not theirs to rate)."""
        row = (
            await self.session.execute(
                text(_VISIBLE),
                {"user_id": user_id, "document_id": document_id},
            )
        ).first()
        return None if row is None else PostRow(**row._mapping)

    async def training_progress(self, user_id: int, per_channel: int) -> Progress:
        """Per channel: min(per_channel, its posts) to rate; rated in training so far."""
        row = (
            await self.session.execute(
                text(
                    """
                    SELECT coalesce(sum(least(:per, p.posts)), 0) AS total,
                           coalesce(sum(least(:per, p.posts, p.rated)), 0) AS done
                    FROM (
                      SELECT c.source_id,
                        (SELECT count(*) FROM documents d
                          WHERE d.source_id = c.source_id AND d.duplicate_of IS NULL) AS posts,
                        (SELECT count(*) FROM feed_ratings r JOIN documents d
                             ON d.id = r.document_id
                          WHERE r.user_id = :user_id AND r.phase = 'training'
                            AND d.source_id = c.source_id) AS rated
                      FROM feed_channels c WHERE c.user_id = :user_id) p
                    """
                ),
                {"user_id": user_id, "per": per_channel},
            )
        ).one()
        return Progress(done=int(row.done), total=int(row.total))

    async def next_training_post(self, user_id: int, per_channel: int) -> PostRow | None:
        """The newest unrated post of the channel with the fewest training ratings that
        still lacks some (channels take turns)."""
        row = (
            await self.session.execute(
                text(_NEXT_TRAINING),
                {"user_id": user_id, "per": per_channel},
            )
        ).first()
        return None if row is None else PostRow(**row._mapping)

    # --- ratings and seen posts ----------------------------------------------------------

    async def rate(self, user_id: int, document_id: int, value: int, phase: str) -> None:
        """One rating per reader and post: a second one changes it (its phase stays)."""
        statement = insert(FeedRating).values(
            user_id=user_id, document_id=document_id, value=value, phase=phase
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[FeedRating.user_id, FeedRating.document_id],
                set_={"value": statement.excluded.value},
            )
        )

    async def labelled_ratings(self, user_id: int) -> int:
        count = await self.session.scalar(
            select(func.count()).where(FeedRating.user_id == user_id, FeedRating.value != 0)
        )
        return int(count or 0)

    async def mark_seen(self, user_id: int, document_id: int) -> None:
        await self.session.execute(
            insert(FeedSeen)
            .values(user_id=user_id, document_id=document_id)
            .on_conflict_do_nothing()
        )

    # --- models and ranking ---------------------------------------------------------------

    async def active_embedding_model(self) -> int | None:
        return await self.session.scalar(
            select(EmbeddingModel.id).where(EmbeddingModel.state == ModelState.ACTIVE)
        )

    async def model(self, user_id: int) -> FeedModel | None:
        return await self.session.get(FeedModel, user_id)

    async def ranked(
        self,
        user_id: int,
        model: FeedModel | None,
        embedding_model: int | None,
        now: datetime,
        *,
        limit: int,
        at_random: bool = False,
    ) -> list[PostRow]:
        """The reader's best candidates by their model (newest first without one, any order
        at random when exploring)."""
        params: dict[str, Any] = {"user_id": user_id, "limit": limit}
        if model is None or embedding_model is None or model.model_id != embedding_model:
            score, join = "NULL::float8", ""
        else:
            score = _SCORE
            join = "LEFT JOIN document_vectors v ON v.document_id = d.id AND v.model_id = :model"
            params |= {
                "model": embedding_model,
                "weights": _vector_literal(model.weights),
                "channel_weights": json.dumps(model.channel_weights),
                "recency_weight": model.recency_weight,
                "bias": model.bias,
                "now": now,
            }
        order = "random()" if at_random else "score DESC NULLS LAST, d.published_at DESC, d.id DESC"
        rows = await self.session.execute(
            text(
                f"SELECT {_POST_COLUMNS}, {score} AS score "
                f"{_CANDIDATES.format(vector_join=join)} ORDER BY {order} LIMIT :limit"
            ),
            params,
        )
        return [PostRow(**row._mapping) for row in rows.all()]

    # --- nudges ----------------------------------------------------------------------------

    async def readers_to_nudge(
        self, idle_since: datetime, limit: int
    ) -> Sequence[tuple[FeedReader, User]]:
        """Active readers idle since ``idle_since`` and not nudged since then, locked
        (SKIP LOCKED: another replica takes the others)."""
        rows = await self.session.execute(
            select(FeedReader, User)
            .join(User, User.id == FeedReader.user_id)
            .where(
                User.status == UserStatus.ACTIVE,
                User.blocked_at.is_(None),
                FeedReader.last_active_at < idle_since,
                (FeedReader.last_nudged_at.is_(None)) | (FeedReader.last_nudged_at < idle_since),
            )
            .order_by(FeedReader.last_active_at)
            .limit(limit)
            .with_for_update(of=FeedReader, skip_locked=True)
        )
        return [(reader, user) for reader, user in rows.all()]

    async def record_nudge(self, user_id: int, period: str, document_id: int) -> bool:
        """True if this is the reader's first nudge of the period."""
        made = await self.session.scalar(
            insert(FeedNudge)
            .values(user_id=user_id, period=period, document_id=document_id)
            .on_conflict_do_nothing()
            .returning(FeedNudge.id)
        )
        return made is not None

    async def nudged(self, user_id: int, now: datetime) -> None:
        await self.session.execute(
            update(FeedReader)
            .where(FeedReader.user_id == user_id)
            .values(last_nudged_at=now, ignored_nudges=FeedReader.ignored_nudges + 1)
        )

    async def save_settings(self, user_id: int, values: dict[str, Any]) -> FeedReader:
        reader = await self.reader(user_id)
        for key, value in values.items():
            setattr(reader, key, value)
        await self.session.flush()
        return reader

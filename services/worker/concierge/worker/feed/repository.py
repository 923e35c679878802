"""Every query of the feed's model training: a reader's labelled ratings with their
posts' vectors of the active embedding model, and the stored model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.feed.models import FeedModel
from concierge.domain.ingest.models import EmbeddingModel, ModelState
from concierge.worker.feed.relevance import LinearModel


@dataclass(frozen=True)
class RatedPost:
    embedding: np.ndarray
    source_id: int
    age_days: float  # the post's age when it was rated
    value: int


class FeedTrainingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def now(self) -> datetime:
        now = await self.session.scalar(select(func.now()))
        assert now is not None
        return now

    async def active_model(self) -> int | None:
        return await self.session.scalar(
            select(EmbeddingModel.id).where(EmbeddingModel.state == ModelState.ACTIVE)
        )

    async def rated(self, user_id: int, model_id: int) -> list[RatedPost]:
        """The reader's likes and dislikes of posts that have a vector of the model (a
        post not embedded yet counts at the next retraining)."""
        rows = await self.session.execute(
            text(
                """
                SELECT v.embedding, d.source_id, r.value,
                       greatest(extract(epoch FROM (r.created_at - d.published_at)), 0)
                         / 86400.0 AS age_days
                FROM feed_ratings r
                JOIN documents d ON d.id = r.document_id
                JOIN document_vectors v ON v.document_id = d.id AND v.model_id = :model
                WHERE r.user_id = :user_id AND r.value <> 0
                ORDER BY r.id
                """
            ),
            {"user_id": user_id, "model": model_id},
        )
        return [
            RatedPost(
                np.asarray(row.embedding, dtype=np.float32),
                int(row.source_id),
                float(row.age_days),
                int(row.value),
            )
            for row in rows.all()
        ]

    async def lock_reader(self, user_id: int) -> None:
        """One training per reader at a time (a transaction-scoped advisory lock)."""
        await self.session.execute(
            select(func.pg_advisory_xact_lock(text("hashtext('feed.train')"), user_id))
        )

    async def stored_ratings(self, user_id: int) -> int | None:
        return await self.session.scalar(
            select(FeedModel.ratings_used).where(FeedModel.user_id == user_id)
        )

    async def save(self, user_id: int, model_id: int, model: LinearModel, now: datetime) -> None:
        values = {
            "kind": model.kind.value,
            "model_id": model_id,
            "weights": model.weights.tolist(),
            "channel_weights": model.channel_weights_json(),
            "recency_weight": model.recency_weight,
            "bias": model.bias,
            "ratings_used": model.ratings_used,
            "trained_at": now,
        }
        statement = insert(FeedModel).values(user_id=user_id, **values)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=[FeedModel.user_id], set_=values)
        )

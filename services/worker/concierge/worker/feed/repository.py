"""Every query of the feed's model training: a reader's labelled ratings with their
posts' vectors of the active embedding model, and the stored model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.feed.models import FeedModel, FeedRating
from concierge.domain.ingest.models import Document, DocumentVector, EmbeddingModel, ModelState
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
        age = (
            func.greatest(func.extract("epoch", FeedRating.created_at - Document.published_at), 0)
            / 86400.0
        )
        rows = await self.session.execute(
            select(DocumentVector.embedding, Document.source_id, FeedRating.value, age)
            .join(Document, Document.id == FeedRating.document_id)
            .join(
                DocumentVector,
                (DocumentVector.document_id == Document.id) & (DocumentVector.model_id == model_id),
            )
            .where(FeedRating.user_id == user_id, FeedRating.value != 0)
            .order_by(FeedRating.id)
        )
        return [
            RatedPost(
                np.asarray(embedding, dtype=np.float32), int(source or 0), float(days), int(value)
            )
            for embedding, source, value, days in rows.all()
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

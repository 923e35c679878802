"""A reader's relevance model, learned from their ratings (likes 1, dislikes -1; skips
carry no label).

Both kinds are linear in their features, so the api ranks candidates in one SQL
statement (pgvector's inner product plus the channel's weight and the recency term):

    score = embedding · weights + channel_weights[channel] + recency_weight · recency + bias
    recency = exp(-age_days / RECENCY_DAYS)

- **content** (from the first rating): likes pull, dislikes push — Rocchio's profile
  ``mean(liked) - DISLIKE_PUSH · mean(disliked)``, both over the embeddings centred on the
  mean of everything rated (e5's vectors share a large common direction, which says
  nothing of taste); channels get a small smoothed like-rate weight.
- **logistic** (once there are ``min_ratings`` ratings with ``min_class`` of each label):
  scikit-learn's L2 logistic regression (liblinear) over the embedding, a one-hot channel and the
  recency, with balanced class weights; its coefficients are the model.

Embeddings are L2-normalised by the keeper (e5), so the content score is a cosine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from concierge.contracts.feed import ModelKind

RECENCY_DAYS = 7.0
DISLIKE_PUSH = 0.5
CHANNEL_PRIOR = 2.0  # pseudo-ratings per channel before its like rate counts
CHANNEL_SCALE = 0.05  # a channel's weight in the content model, next to cosines ~±0.2
MIN_RATINGS = 20
MIN_CLASS = 5
L2_C = 1.0

Vector = NDArray[np.float32]


def recency(age_days: float) -> float:
    return math.exp(-max(age_days, 0.0) / RECENCY_DAYS)


@dataclass(frozen=True)
class Example:
    embedding: Vector
    channel: int
    recency: float
    label: int  # 1 like, -1 dislike


@dataclass
class LinearModel:
    kind: ModelKind
    weights: Vector
    channel_weights: dict[int, float] = field(default_factory=dict)
    recency_weight: float = 0.0
    bias: float = 0.0
    ratings_used: int = 0

    def score(
        self, embeddings: NDArray[np.floating], channels: Sequence[int], recencies: Sequence[float]
    ) -> NDArray[np.float64]:
        """Scores of candidates (rows of ``embeddings``), as the api's SQL computes them."""
        base = np.asarray(embeddings, dtype=np.float64) @ self.weights.astype(np.float64)
        channel = np.array([self.channel_weights.get(c, 0.0) for c in channels])
        return base + channel + self.recency_weight * np.asarray(recencies) + self.bias

    def channel_weights_json(self) -> dict[str, float]:
        return {str(channel): float(weight) for channel, weight in self.channel_weights.items()}

    @staticmethod
    def channel_weights_of(stored: Mapping[str, float]) -> dict[int, float]:
        return {int(channel): float(weight) for channel, weight in stored.items()}


def kind_for(likes: int, dislikes: int, *, min_ratings: int, min_class: int) -> ModelKind:
    if likes + dislikes == 0:
        return ModelKind.NONE
    if likes + dislikes >= min_ratings and min(likes, dislikes) >= min_class:
        return ModelKind.LOGISTIC
    return ModelKind.CONTENT


def fit(
    examples: Sequence[Example], *, min_ratings: int = MIN_RATINGS, min_class: int = MIN_CLASS
) -> LinearModel | None:
    """The reader's model from their labelled examples; None without any (newest first)."""
    labelled = [example for example in examples if example.label in (1, -1)]
    likes = sum(1 for example in labelled if example.label == 1)
    kind = kind_for(likes, len(labelled) - likes, min_ratings=min_ratings, min_class=min_class)
    if kind is ModelKind.NONE:
        return None
    if kind is ModelKind.LOGISTIC:
        return _logistic(labelled)
    return _content(labelled)


def _matrix(examples: Sequence[Example]) -> NDArray[np.float64]:
    return np.vstack([np.asarray(example.embedding, dtype=np.float64) for example in examples])


def _content(examples: Sequence[Example]) -> LinearModel:
    matrix = _matrix(examples)
    labels = np.array([example.label for example in examples])
    centre = matrix.mean(axis=0)
    liked, disliked = matrix[labels == 1], matrix[labels == -1]
    profile = np.zeros(matrix.shape[1])
    if len(liked):
        profile += liked.mean(axis=0) - centre
    if len(disliked):
        profile -= DISLIKE_PUSH * (disliked.mean(axis=0) - centre)
    if not len(liked):  # only dislikes: away from them, whatever the centre says
        profile = -(disliked.mean(axis=0) - centre) - 0.1 * disliked.mean(axis=0)
    norm = float(np.linalg.norm(profile))
    weights = profile / norm if norm > 1e-9 else profile
    channels: dict[int, list[int]] = {}
    for example in examples:
        channels.setdefault(example.channel, []).append(example.label)
    channel_weights = {
        channel: CHANNEL_SCALE * sum(values) / (len(values) + CHANNEL_PRIOR)
        for channel, values in channels.items()
    }
    return LinearModel(
        ModelKind.CONTENT,
        weights.astype(np.float32),
        channel_weights,
        bias=-float(weights @ centre),
        ratings_used=len(examples),
    )


def _logistic(examples: Sequence[Example]) -> LinearModel:
    from sklearn.linear_model import (  # type: ignore[import-untyped]
        LogisticRegression,  # loaded by the worker's first fit
    )

    matrix = _matrix(examples)
    channels = sorted({example.channel for example in examples})
    column = {channel: index for index, channel in enumerate(channels)}
    onehot = np.zeros((len(examples), len(channels)))
    for row, example in enumerate(examples):
        onehot[row, column[example.channel]] = 1.0
    recencies = np.array([[example.recency] for example in examples])
    features = np.hstack([matrix, onehot, recencies])
    labels = np.array([1 if example.label == 1 else 0 for example in examples])
    # liblinear: 5 ms for 40 ratings × 393 features where lbfgs took 100 ms (measured).
    classifier = LogisticRegression(
        C=L2_C, class_weight="balanced", max_iter=500, solver="liblinear"
    )
    classifier.fit(features, labels)
    coef = classifier.coef_[0]
    dims = matrix.shape[1]
    return LinearModel(
        ModelKind.LOGISTIC,
        coef[:dims].astype(np.float32),
        {channel: float(coef[dims + column[channel]]) for channel in channels},
        recency_weight=float(coef[-1]),
        bias=float(classifier.intercept_[0]),
        ratings_used=len(examples),
    )

"""The relevance model learns a reader's taste from their ratings (unit: no database).

Posts are vectors with one direction per topic, a direction every post shares (as e5's
vectors do) and noise; the reader likes one topic. The content model (few ratings) and
the logistic regression (enough of both kinds) must both rank held-out posts of the liked
topic above the rest, and the score must be what the api's SQL computes."""

from __future__ import annotations

import random

import numpy as np
import pytest

from concierge.contracts.feed import ModelKind
from concierge.worker.feed.relevance import Example, fit, kind_for, recency

TOPICS = 6
DIMENSIONS = 16


def _post(topic: int, rng: random.Random) -> np.ndarray:
    vector = np.array([rng.gauss(0.0, 0.25) for _ in range(DIMENSIONS)])
    vector[topic] += 1.0
    vector[-1] += 2.0
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def _auc(scores: np.ndarray, relevant: list[bool]) -> float:
    pos = [s for s, r in zip(scores, relevant, strict=True) if r]
    neg = [s for s, r in zip(scores, relevant, strict=True) if not r]
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def _examples(count: int, liked: int, rng: random.Random) -> list[Example]:
    examples = []
    for number in range(count):
        topic = number % TOPICS
        examples.append(Example(_post(topic, rng), topic % 2, 0.5, 1 if topic == liked else -1))
    return examples


@pytest.mark.parametrize(("count", "kind"), [(6, ModelKind.CONTENT), (60, ModelKind.LOGISTIC)])
def test_the_model_ranks_the_liked_topic_first(count: int, kind: ModelKind) -> None:
    rng = random.Random(count)
    model = fit(_examples(count, liked=2, rng=rng))
    assert model is not None
    assert model.kind == kind
    assert model.ratings_used == count
    held_out = [(_post(topic, rng), topic) for topic in range(TOPICS) for _ in range(20)]
    scores = model.score(
        np.vstack([vector for vector, _ in held_out]),
        [topic % 2 for _, topic in held_out],
        [0.5] * len(held_out),
    )
    assert _auc(scores, [topic == 2 for _, topic in held_out]) > 0.95


def test_likes_pull_and_dislikes_push() -> None:
    rng = random.Random(3)
    liked, disliked, other = _post(0, rng), _post(1, rng), _post(2, rng)
    model = fit([Example(liked, 1, 1.0, 1), Example(disliked, 1, 1.0, -1)])
    assert model is not None
    like_again, dislike_again, unrelated = model.score(
        np.vstack([_post(0, rng), _post(1, rng), other]), [1, 1, 1], [1.0] * 3
    )
    assert like_again > unrelated > dislike_again
    # Only dislikes: still a direction away from them.
    only = fit([Example(disliked, 1, 1.0, -1)])
    assert only is not None
    away, toward = only.score(np.vstack([_post(0, rng), _post(1, rng)]), [1, 1], [1.0, 1.0])
    assert away > toward


def test_no_labels_no_model_and_the_switch_to_the_classifier() -> None:
    rng = random.Random(4)
    assert fit([]) is None
    assert fit([Example(_post(0, rng), 1, 1.0, 0)]) is None  # skips teach nothing
    assert kind_for(19, 1, min_ratings=20, min_class=5) == ModelKind.CONTENT
    assert kind_for(15, 5, min_ratings=20, min_class=5) == ModelKind.LOGISTIC
    assert kind_for(0, 0, min_ratings=20, min_class=5) == ModelKind.NONE
    # All likes: the content model, never a classifier with one class.
    model = fit([Example(_post(0, rng), 1, 1.0, 1) for _ in range(40)])
    assert model is not None
    assert model.kind == ModelKind.CONTENT


def test_the_score_is_the_sql_formula() -> None:
    rng = random.Random(5)
    model = fit(_examples(60, liked=1, rng=rng))
    assert model is not None
    vector, channel, age = _post(1, rng), 1, 3.0
    expected = (
        float(vector.astype(np.float64) @ model.weights.astype(np.float64))
        + model.channel_weights[channel]
        + model.recency_weight * recency(age)
        + model.bias
    )
    (score,) = model.score(vector[None, :], [channel], [recency(age)])
    assert score == pytest.approx(expected)
    assert recency(0) == 1.0
    assert recency(-5) == 1.0  # a post from the future is as fresh as now
    assert recency(7) == pytest.approx(np.exp(-1))

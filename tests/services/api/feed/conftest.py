"""The feed desk's API in-process (real Postgres rolled back, real Redis): readers signed
in as the Mini App signs in, and two channels of posts with vectors of an active model.

The vectors are made by hand, one direction per topic plus a little noise (8 dimensions,
normalised like e5's): the model's job is to learn which directions a reader likes."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.services.api.market.conftest import (  # noqa: F401 (fixtures)
    market_app,
    service,
    web_client,
)
from tests.services.api.search.factories import _insert, add_source, register_model

DIMENSIONS = 8
TOPICS = ("bikes", "cooking", "football", "cinema")


def topic_vector(topic: str, rng: random.Random) -> list[float]:
    vector = [rng.gauss(0.0, 0.15) for _ in range(DIMENSIONS)]
    vector[TOPICS.index(topic)] += 1.0
    vector[7] += 1.0  # a direction every post shares, as e5's vectors do
    norm = sum(value * value for value in vector) ** 0.5
    return [value / norm for value in vector]


@dataclass
class Corpus:
    channels: list[int]  # source ids
    topic_of: dict[int, str]  # document id -> topic
    model_id: int


async def add_posts(
    session: AsyncSession, source_id: int, model_id: int, topics: list[str], seed: int
) -> dict[int, str]:
    rng = random.Random(seed)
    made = {}
    for number, topic in enumerate(topics):
        document_id = await _insert(
            session,
            {
                "source_id": source_id,
                "text": f"Post {seed}-{number} about {topic} {rng.random()}",
                "days": number,
            },
        )
        await session.execute(
            text(
                "INSERT INTO document_vectors (model_id, document_id, embedding) "
                "VALUES (:model, :document, CAST(:embedding AS vector))"
            ),
            {
                "model": model_id,
                "document": document_id,
                "embedding": json.dumps(topic_vector(topic, rng)),
            },
        )
        made[document_id] = topic
    return made


@pytest.fixture
async def corpus(session: AsyncSession) -> Corpus:
    """Two channels of 24 posts each, topics mixed in both."""
    model_id = await register_model(session, "feed-test-8d", DIMENSIONS)
    channels, topic_of = [], {}
    for number in range(2):
        source_id = await add_source(session, f"Channel {number}", kind="telegram")
        channels.append(source_id)
        topics = [TOPICS[(i + number) % len(TOPICS)] for i in range(24)]
        topic_of |= await add_posts(session, source_id, model_id, topics, seed=number)
    return Corpus(channels, topic_of, model_id)

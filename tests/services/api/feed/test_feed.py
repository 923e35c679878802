"""A reader's way through the feed desk: the status machine (illegal moves are 409s,
every move logged), channels, the training round, ratings scoped to the reader's own
channels, flood control, and a feed ranked by the model the worker trains."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.worker.feed.jobs import train_reader_in
from tests.services.api.feed.conftest import Corpus
from tests.services.api.market.conftest import WebClient

READER = 720_001
OTHER = 720_002
FEED = "/api/v1/feed"


async def _status_log(session: AsyncSession, telegram_id: int) -> list[tuple[str, str]]:
    rows = await session.execute(
        text(
            "SELECT l.details->>'from', l.details->>'to' FROM user_logs l "
            "JOIN users u ON u.id = l.user_id "
            "WHERE u.telegram_id = :id AND l.action = 'status_changed' ORDER BY l.id"
        ),
        {"id": telegram_id},
    )
    return [(row[0], row[1]) for row in rows.all()]


async def _train(client: httpx.AsyncClient, likes: set[int] | None = None) -> list[int]:
    """Rate the whole training round (likes: the posts to like, the rest disliked)."""
    step = (await client.get(f"{FEED}/training/next")).json()
    rated = []
    while step["post"] is not None:
        document_id = step["post"]["document_id"]
        verdict = "like" if likes is None or document_id in likes else "dislike"
        response = await client.post(
            f"{FEED}/ratings", json={"document_id": document_id, "verdict": verdict}
        )
        assert response.status_code == 200, response.text
        rated.append(document_id)
        step = (await client.get(f"{FEED}/training/next")).json()
        assert step["done"] == len(rated)
    assert step["status"] == "trained"
    return rated


async def test_the_status_machine_refuses_illegal_moves_and_logs_each_move(
    corpus: Corpus, web_client: WebClient, session: AsyncSession
) -> None:
    reader = await web_client(READER)
    state = (await reader.get(FEED)).json()
    assert state["status"] == "new"
    assert state["channels"] == 0
    assert (await reader.get(f"{FEED}/next")).status_code == 409  # not trained yet
    assert (await reader.get(f"{FEED}/training/next")).status_code == 409
    assert (await reader.post(f"{FEED}/training")).status_code == 409  # new → training

    assert (await reader.post(f"{FEED}/start")).json()["status"] == "onboarding"
    assert (await reader.post(f"{FEED}/training")).status_code == 409  # no channel yet
    for source_id in corpus.channels:
        added = await reader.post(f"{FEED}/channels", json={"source_id": source_id})
        assert added.status_code == 201, added.text
        assert added.json()["posts"] == 24
    begun = await reader.post(f"{FEED}/training")
    assert begun.status_code == 200, begun.text
    assert begun.json()["total"] == 10
    assert begun.json()["done"] == 0
    assert (await reader.get(f"{FEED}/next")).status_code == 409  # still training

    rated = await _train(reader)
    assert len(rated) == 10
    # Channels take turns: five of each.
    channel_of = {}
    for source_id in corpus.channels:
        rows = await session.execute(
            text("SELECT id FROM documents WHERE source_id = :s"), {"s": source_id}
        )
        channel_of |= {row[0]: source_id for row in rows.all()}
    assert sorted(channel_of[d] for d in rated) == sorted(corpus.channels * 5)
    assert (await reader.post(f"{FEED}/training")).status_code == 409  # trained → training

    first = await reader.get(f"{FEED}/next")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "active"
    assert first.json()["post"]["document_id"] not in rated
    assert await _status_log(session, READER) == [
        ("new", "onboarding"),
        ("onboarding", "training"),
        ("training", "trained"),
        ("trained", "active"),
    ]


async def test_ratings_are_scoped_to_the_readers_channels(
    corpus: Corpus, web_client: WebClient, session: AsyncSession
) -> None:
    reader, other = await web_client(READER), await web_client(OTHER)
    await reader.post(f"{FEED}/channels", json={"source_id": corpus.channels[0]})
    await other.post(f"{FEED}/channels", json={"source_id": corpus.channels[1]})
    for client in (reader, other):
        assert (await client.post(f"{FEED}/training")).status_code == 200
    theirs = (await other.get(f"{FEED}/training/next")).json()["post"]["document_id"]
    # A post of a channel the reader does not follow: 404, and nothing stored.
    refused = await reader.post(f"{FEED}/ratings", json={"document_id": theirs, "verdict": "like"})
    assert refused.status_code == 404
    assert (
        await reader.post(f"{FEED}/ratings", json={"document_id": 2**62, "verdict": "like"})
    ).status_code == 404
    count = await session.scalar(text("SELECT count(*) FROM feed_ratings"))
    assert count == 0
    # One rating per reader and post: a second one changes it.
    mine = (await reader.get(f"{FEED}/training/next")).json()["post"]["document_id"]
    for verdict in ("like", "dislike"):
        response = await reader.post(
            f"{FEED}/ratings", json={"document_id": mine, "verdict": verdict}
        )
        assert response.status_code == 200
    values = (await session.execute(text("SELECT value FROM feed_ratings"))).scalars().all()
    assert values == [-1]
    # Another reader's channels and state are theirs alone.
    assert [c["source_id"] for c in (await other.get(f"{FEED}/channels")).json()] == [
        corpus.channels[1]
    ]
    assert (await reader.delete(f"{FEED}/channels/{corpus.channels[1]}")).status_code == 404
    assert (await other.get(FEED)).json()["ratings"] == 0


async def test_bad_input_is_a_clear_4xx(corpus: Corpus, web_client: WebClient) -> None:
    reader = await web_client(READER)
    await reader.post(f"{FEED}/channels", json={"source_id": corpus.channels[0]})
    await reader.post(f"{FEED}/training")
    post = (await reader.get(f"{FEED}/training/next")).json()["post"]["document_id"]
    bodies: list[Any] = [
        {"document_id": post, "verdict": "maybe"},
        {"document_id": str(post), "verdict": "like"},
        {"document_id": 0, "verdict": "like"},
        {"document_id": 2**70, "verdict": "like"},
        {"document_id": post},
        {"document_id": post, "verdict": "like", "extra": 1},
        [],
        "like",
    ]
    for body in bodies:
        response = await reader.post(f"{FEED}/ratings", json=body)
        assert response.status_code == 422, (body, response.text)
    for body in (
        {},
        {"source_id": corpus.channels[0], "ref": "@bikes"},
        {"ref": "bad\x00name"},
        {"ref": "x" * 500},
        {"ref": "not a channel name!"},
        {"source_id": "1"},
    ):
        response = await reader.post(f"{FEED}/channels", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await reader.post(f"{FEED}/channels", json={"source_id": 2**62})).status_code == 404
    # A channel by name needs the user-bot; unset here: a clear 503, nothing stored.
    response = await reader.post(f"{FEED}/channels", json={"ref": "@some_channel"})
    assert response.status_code == 503
    assert len((await reader.get(f"{FEED}/channels")).json()) == 1
    assert (await reader.delete(f"{FEED}/channels/0")).status_code == 422
    for settings in (
        {"quiet_from": 22},
        {"quiet_from": 25, "quiet_to": 7},
        {"timezone": "Mars/Olympus"},
        {"timezone": "../etc"},
    ):
        response = await reader.put(f"{FEED}/settings", json=settings)
        assert response.status_code == 422, (settings, response.text)
    saved = await reader.put(
        f"{FEED}/settings", json={"quiet_from": 22, "quiet_to": 7, "timezone": "Europe/Berlin"}
    )
    assert saved.status_code == 200
    assert saved.json()["quiet_from"] == 22


async def test_a_flood_of_ratings_is_limited(
    corpus: Corpus, web_client: WebClient, market_app: FastAPI
) -> None:
    market_app.state.settings.feed_ratings_per_minute = 5
    reader = await web_client(READER)
    await reader.post(f"{FEED}/channels", json={"source_id": corpus.channels[0]})
    await reader.post(f"{FEED}/training")
    post = (await reader.get(f"{FEED}/training/next")).json()["post"]["document_id"]
    answers = [
        (await reader.post(f"{FEED}/ratings", json={"document_id": post, "verdict": "skip"}))
        for _ in range(8)
    ]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert "at most 5 a minute" in answers[-1].json()["detail"]


async def test_the_feed_learns_the_readers_taste_and_never_repeats_a_post(
    corpus: Corpus, web_client: WebClient, session: AsyncSession, market_app: FastAPI
) -> None:
    market_app.state.settings.feed_explore = 0.0
    market_app.state.settings.feed_training_per_channel = 12
    reader = await web_client(READER)
    for source_id in corpus.channels:
        await reader.post(f"{FEED}/channels", json={"source_id": source_id})
    await reader.post(f"{FEED}/training")
    likes = {d for d, topic in corpus.topic_of.items() if topic == "bikes"}
    rated = await _train(reader, likes)
    assert len(rated) == 24
    user_id = await session.scalar(
        text("SELECT id FROM users WHERE telegram_id = :t"), {"t": READER}
    )
    outcome = await train_reader_in(session, int(user_id), min_ratings=20)
    assert outcome.startswith("logistic"), outcome
    state = (await reader.get(FEED)).json()
    assert state["model"] == "logistic"
    assert state["model_ratings"] == 24

    browse = (await reader.get(f"{FEED}/posts", params={"limit": 6})).json()
    assert [corpus.topic_of[p["document_id"]] for p in browse] == ["bikes"] * 6
    scores = [p["score"] for p in browse]
    assert scores == sorted(scores, reverse=True)

    shown = []
    while True:
        answer = (await reader.get(f"{FEED}/next")).json()
        if answer["post"] is None:
            break
        shown.append(answer["post"]["document_id"])
    assert len(shown) == len(set(shown)) == 48 - 24  # every unseen post once, then none
    assert not set(shown) & set(rated)
    # Bikes first: all of them before any other topic.
    bikes_left = sum(1 for d in shown if corpus.topic_of[d] == "bikes")
    assert {corpus.topic_of[d] for d in shown[:bikes_left]} == {"bikes"}

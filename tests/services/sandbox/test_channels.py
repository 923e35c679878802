"""The MTProto stand-in: the demo corpus with topic labels, the controls, and Telegram's
RPC errors on the account side."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from concierge.sandbox.channels.demo import CHANNELS, TOPICS
from concierge.sandbox.main import create_app


@pytest.fixture
async def sandbox() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http,
    ):
        yield http


async def test_the_corpus_has_every_topic_in_both_languages(sandbox: httpx.AsyncClient) -> None:
    corpus = (await sandbox.get("/sandbox/channels/corpus")).json()
    assert len(corpus) >= 300
    by = Counter((post["topic"], post["language"]) for post in corpus)
    for topic in TOPICS:
        for language in ("ru", "en"):
            assert by[(topic, language)] >= 30, (topic, language)
    channels = {post["channel"] for post in corpus}
    assert channels == {name for topic in TOPICS for name, _ in CHANNELS[topic].values()}
    assert all(post["text"] and post["message_id"] > 1 for post in corpus)
    again = (await sandbox.get("/sandbox/channels/corpus")).json()
    assert again == corpus  # the same every time


async def test_rpc_errors_as_telegram_answers_them(sandbox: httpx.AsyncClient) -> None:
    missing = await sandbox.post("/mtproto/resolve", json={"username": "nobody_here"})
    assert (missing.status_code, missing.json()["error_message"]) == (400, "USERNAME_NOT_OCCUPIED")
    channel = (await sandbox.post("/mtproto/resolve", json={"username": "byte_digest"})).json()
    wrong_hash = {"channel_id": channel["id"], "access_hash": channel["access_hash"] + 1}
    invalid = await sandbox.post("/mtproto/history", json=wrong_hash)
    assert invalid.json()["error_message"] == "CHANNEL_INVALID"
    await sandbox.post(
        "/sandbox/mtproto/faults", json={"method": "history", "flood_wait_s": 30, "times": 1}
    )
    body = {"channel_id": channel["id"], "access_hash": channel["access_hash"]}
    flood = await sandbox.post("/mtproto/history", json=body)
    assert (flood.status_code, flood.json()["error_message"]) == (420, "FLOOD_WAIT_30")
    assert (await sandbox.post("/mtproto/history", json=body)).status_code == 200
    await sandbox.post("/sandbox/mtproto/session", json={"state": "revoked"})
    revoked = await sandbox.post("/mtproto/history", json=body)
    assert revoked.json()["error_message"] == "AUTH_KEY_UNREGISTERED"
    stats = (await sandbox.get("/sandbox/mtproto/stats")).json()
    assert stats["calls"]["history"] == 4
    assert stats["session"] == "revoked"
    await sandbox.post("/sandbox/mtproto/reset")
    assert (await sandbox.post("/mtproto/history", json=body)).status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sandbox/channels", {"title": "x"}),  # neither a username nor an invite
        ("/sandbox/channels", {"title": "x", "username": "a\x00bcd"}),
        ("/sandbox/channels", {"title": "x", "username": "ab"}),
        ("/sandbox/channels/byte_digest/posts", {"text": "x" * 5000}),
        ("/sandbox/channels/byte_digest/posts", {"text": "x", "media": ["hologram"]}),
        ("/sandbox/mtproto/faults", {"method": "drop_table", "flood_wait_s": 1}),
        ("/sandbox/mtproto/faults", {"method": "resolve", "flood_wait_s": 0}),
        ("/sandbox/mtproto/session", {"state": "maybe"}),
        ("/mtproto/history", {"channel_id": "x", "access_hash": 1}),
    ],
)
async def test_bad_input_is_422(sandbox: httpx.AsyncClient, path: str, body: dict) -> None:
    assert (await sandbox.post(path, json=body)).status_code == 422


async def test_controls_answer_404_and_409(sandbox: httpx.AsyncClient) -> None:
    assert (
        await sandbox.post("/sandbox/channels/nope_nope/posts", json={"text": "x"})
    ).status_code == 404
    assert (
        await sandbox.put("/sandbox/channels/byte_digest/posts/99999", json={"text": "x"})
    ).status_code == 404
    assert (await sandbox.delete("/sandbox/channels/byte_digest/posts/99999")).status_code == 404
    taken = await sandbox.post("/sandbox/channels", json={"title": "x", "username": "byte_digest"})
    assert taken.status_code == 409

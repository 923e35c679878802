"""Telegram sources end to end inside the process: the worker's ingest polls them, reads
them through the real user-bot (over HTTP, an ASGI app), which reads the sandbox's MTProto
stand-in; documents land in the workers' real Postgres through the feeds' pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from concierge.db import Database
from concierge.domain.ingest.models import Document, Source
from concierge.sandbox.channels.state import ChannelWorld
from concierge.sandbox.main import create_app as create_sandbox
from concierge.streams import JobQueue
from concierge.worker.ingest.hosts import HostSlots
from concierge.worker.ingest.pipeline import DocumentStore
from concierge.worker.ingest.service import IngestService
from concierge.worker.settings import WorkerSettings
from tests.services.userbot.conftest import start as start_userbot


@dataclass
class Channels:
    database: Database
    service: IngestService
    store: DocumentStore
    queue: JobQueue
    world: ChannelWorld
    control: httpx.AsyncClient

    async def add(self, handle: str, **values: Any) -> int:
        async with self.database.transaction() as session:
            source = Source(kind="telegram", handle=handle, **values)
            session.add(source)
            await session.flush()
            return source.id

    async def check(self, source_id: int) -> Source:
        await self.service.check(source_id, self.store)
        return await self.source(source_id)

    async def source(self, source_id: int) -> Source:
        async with self.database.transaction() as session:
            found = await session.get(Source, source_id)
            assert found is not None
            return found

    async def documents(self, source_id: int | None = None) -> list[Document]:
        query = select(Document).order_by(Document.published_at, Document.id)
        if source_id is not None:
            query = query.where(Document.source_id == source_id)
        async with self.database.transaction() as session:
            return list((await session.scalars(query)).all())

    async def post(self, channel: str, text: str, **values: Any) -> list[int]:
        response = await self.control.post(
            f"/sandbox/channels/{channel}/posts", json={"text": text, **values}
        )
        response.raise_for_status()
        return list(response.json()["ids"])


def settings(**values: Any) -> WorkerSettings:
    return WorkerSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def channels(
    ingest_database: Database, wredis: Redis, tmp_path: Path
) -> AsyncIterator[Channels]:
    sandbox = create_sandbox()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(sandbox.router.lifespan_context(sandbox))
        _, client, _ = await start_userbot(stack, sandbox, tmp_path)
        control = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sandbox), base_url="http://sandbox"
        )
        stack.push_async_callback(control.aclose)
        queue = JobQueue(wredis, "channels-test-jobs")
        config = settings(ingest_telegram_read_limit=100)
        service = IngestService(
            ingest_database, queue, config, HostSlots(wredis, 2, lease_s=30), userbot=client
        )
        yield Channels(
            ingest_database,
            service,
            DocumentStore(ingest_database),
            queue,
            sandbox.state.channels,
            control,
        )


async def test_the_poll_takes_telegram_sources_and_a_check_stores_the_channel(
    channels: Channels,
) -> None:
    source_id = await channels.add("@byte_digest")
    assert await channels.service.poll() == 1
    source = await channels.check(source_id)
    assert source.error_count == 0
    assert source.last_error is None
    assert source.title == "Byte Digest"
    assert source.channel_id is not None
    documents = await channels.documents(source_id)
    assert len(documents) == 34
    assert all(d.kind == "post" and d.language == "en" for d in documents)
    first = documents[0]
    assert first.url == f"https://t.me/byte_digest/{first.external_id}"
    assert source.last_message_id == max(int(d.external_id) for d in documents)
    assert source.next_check_at > source.last_checked_at  # nothing more waiting
    resolves = channels.world.calls["resolve"]
    # the next check reads from the last message id and resolves nothing
    await channels.post("byte_digest", "A brand new laptop review: the battery lasts 20 hours.")
    source = await channels.check(source_id)
    assert len(await channels.documents(source_id)) == 35
    assert channels.world.calls["resolve"] == resolves == 1
    source = await channels.check(source_id)
    assert len(await channels.documents(source_id)) == 35


async def test_a_repost_in_another_channel_is_linked_not_shown_twice(channels: Channels) -> None:
    original_source = await channels.add("tech_pulse_ru")
    copy_source = await channels.add("dengi_i_rynki")
    await channels.check(original_source)
    await channels.check(copy_source)
    (original,) = [d for d in await channels.documents(original_source) if d.external_id == "2"]
    copies = [d for d in await channels.documents(copy_source) if d.duplicate_of is not None]
    assert [(c.duplicate_of, c.duplicate_kind) for c in copies] == [(original.id, "exact")]
    assert original.duplicate_of is None


async def test_edits_replace_and_deletions_delete(channels: Channels) -> None:
    created = await channels.control.post(
        "/sandbox/channels", json={"title": "Fresh news", "username": "fresh_news"}
    )
    assert created.status_code == 201
    now = datetime.now(UTC)
    texts = [
        "The marathon route was changed to avoid the bridge repairs this weekend.",
        "A new bakery opened near the station, with rye bread baked every morning.",
        "The library extends its opening hours until ten in the evening from Monday.",
    ]
    ids = [
        (await channels.post("fresh_news", text, date=(now - timedelta(hours=3 - i)).isoformat()))[
            0
        ]
        for i, text in enumerate(texts)
    ]
    album = await channels.post("fresh_news", "Photos from the harbour festival.",
                                media=["photo", "photo"])  # fmt: skip
    await channels.post("fresh_news", "", media=["photo"])  # no text: no document
    source_id = await channels.add("fresh_news")
    await channels.check(source_id)
    stored = {d.external_id: d for d in await channels.documents(source_id)}
    assert set(stored) == {str(i) for i in [*ids, album[0]]}
    edited = await channels.control.put(
        f"/sandbox/channels/fresh_news/posts/{ids[0]}",
        json={"text": "The marathon route is back to normal: the bridge repairs are finished."},
    )
    assert edited.status_code == 200
    deleted = await channels.control.delete(f"/sandbox/channels/fresh_news/posts/{ids[1]}")
    assert deleted.status_code == 204
    source = await channels.check(source_id)
    assert source.error_count == 0
    after = {d.external_id: d for d in await channels.documents(source_id)}
    assert set(after) == {str(ids[0]), str(ids[2]), str(album[0])}
    assert after[str(ids[0])].id == stored[str(ids[0])].id  # the same row, in place
    assert after[str(ids[0])].text.startswith("The marathon route is back to normal")
    assert after[str(ids[0])].content_hash != stored[str(ids[0])].content_hash


async def test_a_flood_wait_moves_the_check_without_an_error(channels: Channels) -> None:
    source_id = await channels.add("@pitch_side")
    await channels.control.post(
        "/sandbox/mtproto/faults", json={"method": "resolve", "flood_wait_s": 900}
    )
    before = datetime.now(UTC)
    source = await channels.check(source_id)
    assert source.error_count == 0
    assert source.last_error is not None
    assert "flood wait" in source.last_error
    wait = (source.next_check_at - before).total_seconds()
    assert 890 <= wait <= 900 * 1.1 + 5
    assert await channels.documents(source_id) == []


async def test_a_logged_out_userbot_pauses_telegram_sources(channels: Channels) -> None:
    source_id = await channels.add("@kitchen_notes")
    await channels.control.post("/sandbox/mtproto/session", json={"state": "banned"})
    before = datetime.now(UTC)
    source = await channels.check(source_id)
    assert source.last_error == "the user-bot is logged out of Telegram"
    assert source.error_count == 0
    assert (source.next_check_at - before).total_seconds() >= 1790


async def test_a_missing_channel_fails_with_backoff(channels: Channels) -> None:
    source_id = await channels.add("@no_such_channel_here")
    source = await channels.check(source_id)
    assert source.error_count == 1
    assert source.last_error == "no such channel"
    assert source.channel_id is None


async def test_a_long_channel_is_read_in_shares_back_to_back(channels: Channels) -> None:
    channels.service.settings = settings(ingest_telegram_read_limit=10)
    source_id = await channels.add("wander_lines")
    source = await channels.check(source_id)
    # 10 messages: the service message, albums' messages, posts
    assert 0 < len(await channels.documents(source_id)) <= 10
    assert source.next_check_at == source.last_checked_at  # more waiting: due at once
    rounds = 1
    while source.next_check_at == source.last_checked_at and rounds < 20:
        source = await channels.check(source_id)
        rounds += 1
    # 34 posts, one deleted in the demo data
    assert len(await channels.documents(source_id)) == 33
    assert 4 <= rounds <= 6


async def test_telegram_sources_wait_when_telegram_is_switched_off(channels: Channels) -> None:
    channels.service.settings = settings(ingest_telegram_enabled=False)
    await channels.add("@byte_digest")
    assert await channels.service.poll() == 0

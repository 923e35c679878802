"""Polling: due sources are claimed once, whatever the number of pollers, and each gets
one fetch job per due time; a host's slots hold across pollers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson
import pytest
from redis.asyncio import Redis
from sqlalchemy import update

from concierge.contracts.jobs import FETCH_SOURCE
from concierge.domain.ingest.models import Source
from concierge.worker.ingest.hosts import HostBusy, HostSlots
from concierge.worker.ingest.service import fetch_dedup_key
from tests.services.worker.ingest.conftest import Feeds, Ingest


async def queued(ingest: Ingest) -> list[dict]:
    entries = await ingest.queue.redis.xrange(ingest.queue.stream)
    return [fields for _, fields in entries]


async def make_due(ingest: Ingest, source_id: int) -> None:
    async with ingest.database.transaction() as session:
        await session.execute(
            update(Source).where(Source.id == source_id).values(next_check_at=await ingest.now())
        )


class TestPoll:
    async def test_enqueues_one_fetch_per_due_source(self, ingest: Ingest, feeds: Feeds):
        due = [await ingest.add(f"{feeds.url}/feeds/a{n}.rss") for n in range(3)]
        await ingest.add(f"{feeds.url}/feeds/paused.rss", enabled=False)
        # a channel is polled too (read through the user-bot)
        due.append(await ingest.add(None, kind="telegram", handle="channel_one"))
        later = await ingest.add(f"{feeds.url}/feeds/later.rss")
        async with ingest.database.transaction() as session:
            source = await session.get(Source, later)
            assert source is not None
            source.next_check_at = await ingest.now() + timedelta(hours=1)
        assert await ingest.service.poll() == 4
        jobs = await queued(ingest)
        assert sorted(orjson.loads(job["payload"])["source_id"] for job in jobs) == due
        assert {job["type"] for job in jobs} == {FETCH_SOURCE.name}

    async def test_a_claimed_source_waits_for_its_fetch(self, ingest: Ingest, feeds: Feeds):
        source_id = await ingest.add(f"{feeds.url}/feeds/x.rss")
        now = await ingest.now()
        assert await ingest.service.poll() == 1
        assert await ingest.service.poll() == 0
        leased = (await ingest.source(source_id)).next_check_at
        assert leased - now >= timedelta(seconds=ingest.service.lease_s - 5)

    async def test_concurrent_pollers_claim_each_source_once(self, ingest: Ingest, feeds: Feeds):
        for n in range(30):
            await ingest.add(f"{feeds.url}/feeds/c{n}.rss")
        counts = await asyncio.gather(*(ingest.service.poll(batch=4) for _ in range(5)))
        assert sum(counts) == 30
        assert len(await queued(ingest)) == 30

    async def test_the_same_due_time_is_enqueued_once(self, ingest: Ingest, feeds: Feeds):
        source_id = await ingest.add(f"{feeds.url}/feeds/y.rss")
        due_at = (await ingest.source(source_id)).next_check_at
        key = fetch_dedup_key(source_id, due_at)
        await ingest.service.poll()
        # A poll whose commit failed runs again with the same due time: nothing new.
        assert (
            await ingest.queue.enqueue(FETCH_SOURCE.name, {"source_id": source_id}, dedup_key=key)
            is None
        )
        assert len(await queued(ingest)) == 1

    async def test_a_fetched_source_is_due_again_at_its_next_check(
        self, ingest: Ingest, feeds: Feeds
    ):
        source_id = await ingest.add(await feeds.new({"text": "Some news from the harbour."}))
        await ingest.service.poll()
        await ingest.check(source_id)
        assert await ingest.service.poll() == 0
        await make_due(ingest, source_id)
        assert await ingest.service.poll() == 1


class TestHostSlots:
    async def test_at_most_the_limit_at_once(self, wredis: Redis):
        slots = HostSlots(wredis, limit=2, lease_s=10)
        inside = peak = 0

        async def fetch() -> None:
            nonlocal inside, peak
            async with slots.slot("feeds.example:443", wait_s=5):
                inside += 1
                peak = max(peak, inside)
                await asyncio.sleep(0.05)
                inside -= 1

        await asyncio.gather(*(fetch() for _ in range(8)))
        assert peak == 2
        assert await wredis.zcard("ingest:host:feeds.example:443") == 0

    async def test_busy_after_the_wait_and_other_hosts_are_free(self, wredis: Redis):
        slots = HostSlots(wredis, limit=1, lease_s=10)
        async with slots.slot("a:80", wait_s=1):
            with pytest.raises(HostBusy):
                async with slots.slot("a:80", wait_s=0.2):
                    pass
            async with slots.slot("b:80", wait_s=0.2):
                pass

    async def test_a_dead_holders_slot_frees_itself(self, wredis: Redis):
        short = HostSlots(wredis, limit=1, lease_s=0.3)
        holder = short.slot("c:80", wait_s=1)
        await holder.__aenter__()  # and does not leave: as if its process had died
        async with short.slot("c:80", wait_s=2):
            pass
        await holder.__aexit__(None, None, None)

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from concierge.streams import StreamGroup


async def add(redis: Redis, stream: str, n: int) -> list[str]:
    return [await redis.xadd(stream, {"n": str(i)}) for i in range(n)]


class TestStreamGroup:
    async def test_entries_added_before_the_group_exist_are_read(self, redis: Redis) -> None:
        await add(redis, "s", 3)
        group = StreamGroup(redis, "s", "g", "c1")
        await group.ensure()
        await group.ensure()  # twice is fine
        entries = await group.read(10, 10)
        assert [e.fields["n"] for e in entries] == ["0", "1", "2"]

    async def test_ack_removes_the_entry(self, redis: Redis) -> None:
        group = StreamGroup(redis, "s", "g", "c1")
        await group.ensure()
        await add(redis, "s", 2)
        entries = await group.read(10, 10)
        await group.ack(entries[0].id)
        assert await group.pending_count() == 1
        assert await redis.xlen("s") == 1

    async def test_a_restarted_consumer_rereads_what_it_did_not_ack(self, redis: Redis) -> None:
        await add(redis, "s", 3)
        first = StreamGroup(redis, "s", "g", "bot")
        await first.ensure()
        entries = await first.read(10, 10)
        await first.ack(entries[0].id)
        # The process dies; a new one with the same consumer name starts.
        second = StreamGroup(redis, "s", "g", "bot")
        again = await second.read(10, 10)
        assert [e.fields["n"] for e in again] == ["1", "2"]
        for entry in again:
            await second.ack(entry.id)
        assert await second.read(10, 10) == []
        assert await second.pending_count() == 0

    async def test_idle_entries_of_another_consumer_are_reclaimed(self, redis: Redis) -> None:
        await add(redis, "s", 2)
        dead = StreamGroup(redis, "s", "g", "dead")
        await dead.ensure()
        await dead.read(10, 10)
        alive = StreamGroup(redis, "s", "g", "alive")
        assert await alive.reclaim(min_idle_ms=60_000) == []
        reclaimed = await alive.reclaim(min_idle_ms=0)
        assert [e.fields["n"] for e in reclaimed] == ["0", "1"]


async def delivery_counts(redis: Redis, stream: str) -> dict[str, tuple[str, int]]:
    rows = await redis.xpending_range(stream, "g", "-", "+", 100)
    return {row["message_id"]: (row["consumer"], row["times_delivered"]) for row in rows}


class TestDeliveries:
    async def test_each_delivery_is_counted(self, any_redis: Redis) -> None:
        ids = await add(any_redis, "s", 1)
        first = StreamGroup(any_redis, "s", "g", "first")
        await first.ensure()
        assert [e.deliveries for e in await first.read(10, 10)] == [1]
        again = StreamGroup(any_redis, "s", "g", "first")  # the same consumer, restarted
        assert [e.deliveries for e in await again.read(10, 10)] == [2]
        other = StreamGroup(any_redis, "s", "g", "other")
        assert [e.deliveries for e in await other.reclaim(min_idle_ms=0)] == [3]
        assert (await delivery_counts(any_redis, "s"))[ids[0]] == ("other", 3)

    async def test_a_heartbeat_resets_idle_time_without_counting_a_delivery(
        self, any_redis: Redis
    ) -> None:
        ids = await add(any_redis, "s", 2)
        group = StreamGroup(any_redis, "s", "g", "busy")
        await group.ensure()
        await group.read(10, 10)
        await asyncio.sleep(0.3)
        assert await group.heartbeat([ids[0]]) == ({ids[0]}, set())
        other = StreamGroup(any_redis, "s", "g", "other")
        reclaimed = await other.reclaim(min_idle_ms=250)
        assert [e.id for e in reclaimed] == [ids[1]]  # the one without a heartbeat
        assert (await delivery_counts(any_redis, "s"))[ids[0]] == ("busy", 1)

    async def test_a_heartbeat_does_not_take_back_a_reclaimed_entry(self, any_redis: Redis) -> None:
        ids = await add(any_redis, "s", 1)
        stalled = StreamGroup(any_redis, "s", "g", "stalled")
        await stalled.ensure()
        await stalled.read(10, 10)
        await StreamGroup(any_redis, "s", "g", "rescuer").reclaim(min_idle_ms=0)
        assert await stalled.heartbeat(ids) == (set(), set(ids))
        assert (await delivery_counts(any_redis, "s"))[ids[0]][0] == "rescuer"
        await stalled.ack(ids[0])
        assert await stalled.heartbeat(ids) == (set(), set())  # done: neither

    async def test_the_backlog_is_handed_out_once(self, any_redis: Redis) -> None:
        ids = await add(any_redis, "s", 3)
        first = StreamGroup(any_redis, "s", "g", "bot")
        await first.ensure()
        await first.read(10, 10)
        again = StreamGroup(any_redis, "s", "g", "bot")  # restarted; the three still run
        assert [(e.id, e.deliveries) for e in await again.read(2, 10)] == [
            (ids[0], 2), (ids[1], 2)
        ]  # fmt: skip
        assert [(e.id, e.deliveries) for e in await again.read(2, 10)] == [(ids[2], 2)]
        assert await again.read(2, 10) == []  # not the same ones again
        counts = await delivery_counts(any_redis, "s")
        assert {n for _, n in counts.values()} == {2}

    async def test_a_reclaimed_entry_is_not_handed_out_again_as_backlog(
        self, any_redis: Redis
    ) -> None:
        ids = await add(any_redis, "s", 1)
        dead = StreamGroup(any_redis, "s", "g", "dead")
        await dead.ensure()
        await dead.read(10, 10)
        fresh = StreamGroup(any_redis, "s", "g", "fresh")  # reclaims before its first read
        assert [e.deliveries for e in await fresh.reclaim(min_idle_ms=0)] == [2]
        assert await fresh.read(10, 10) == []
        assert (await delivery_counts(any_redis, "s"))[ids[0]] == ("fresh", 2)

    async def test_a_reclaim_leaves_alone_the_entries_running_here(self, any_redis: Redis) -> None:
        ids = await add(any_redis, "s", 2)
        stalled = StreamGroup(any_redis, "s", "g", "stalled")
        await stalled.ensure()
        await stalled.read(10, 10)
        assert await stalled.reclaim(min_idle_ms=0, running=ids) == []  # its own, running
        reclaimed = await stalled.reclaim(min_idle_ms=0, running=ids[:1])
        assert [(e.id, e.deliveries) for e in reclaimed] == [(ids[1], 2)]  # not running
        counts = await delivery_counts(any_redis, "s")
        assert counts == {ids[0]: ("stalled", 1), ids[1]: ("stalled", 2)}

    async def test_reclaim_scans_the_pending_list_in_pages(self, any_redis: Redis) -> None:
        ids = await add(any_redis, "s", 5)
        dead = StreamGroup(any_redis, "s", "g", "dead")
        await dead.ensure()
        await dead.read(10, 10)
        alive = StreamGroup(any_redis, "s", "g", "alive")
        pages = [[e.id for e in await alive.reclaim(min_idle_ms=0, count=2)] for _ in range(3)]
        assert pages == [ids[:2], ids[2:4], ids[4:]]
        assert await alive.reclaim(min_idle_ms=60_000, count=2) == []

    async def test_reclaim_acknowledges_pending_entries_whose_message_is_gone(
        self, any_redis: Redis
    ) -> None:
        ids = await add(any_redis, "s", 2)
        dead = StreamGroup(any_redis, "s", "g", "dead")
        await dead.ensure()
        await dead.read(10, 10)
        await any_redis.xdel("s", ids[0])  # e.g. trimmed by hand
        alive = StreamGroup(any_redis, "s", "g", "alive")
        assert [e.id for e in await alive.reclaim(min_idle_ms=0)] == [ids[1]]
        assert list(await delivery_counts(any_redis, "s")) == [ids[1]]


class TestForgetIdleConsumers:
    async def test_removes_idle_consumers_that_own_nothing(self, any_redis: Redis) -> None:
        await add(any_redis, "s", 1)
        busy = StreamGroup(any_redis, "s", "g", "busy")
        await busy.ensure()
        await busy.read(1, 10)  # owns the entry
        await StreamGroup(any_redis, "s", "g", "old").read(1, 10)  # owns nothing
        me = StreamGroup(any_redis, "s", "g", "me")
        await asyncio.sleep(0.2)
        assert await me.forget_idle_consumers(idle_ms=60_000) == []
        assert await me.forget_idle_consumers(idle_ms=100) == ["old"]
        names = [c["name"] for c in await any_redis.xinfo_consumers("s", "g")]
        assert names == ["busy"]

from __future__ import annotations

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

from __future__ import annotations

import asyncio
import time

import orjson
import pytest
from redis.asyncio import Redis

from concierge.common.logging import bound_request_id
from concierge.streams import (
    InvalidJob,
    Job,
    JobQueue,
    JobRegistry,
    StreamEntry,
    StreamGroup,
    UnknownJobType,
    backoff_delay,
)


async def read_one(redis: Redis, queue: JobQueue, group: str = "g") -> StreamEntry:
    reader = StreamGroup(redis, queue.stream, group, "c")
    await reader.ensure()
    (entry,) = await reader.read(1, 10)
    return entry


class TestEnqueue:
    async def test_an_entry_carries_the_job(self, redis: Redis) -> None:
        queue = JobQueue(redis, "jobs")
        with bound_request_id("req-1"):
            entry_id = await queue.enqueue("desk.thing", {"n": 1, "text": "привет"})
        job = Job.from_entry(await read_one(redis, queue))
        assert entry_id is not None
        assert (job.type, job.payload, job.delivery) == (
            "desk.thing",
            {"n": 1, "text": "привет"},
            1,
        )
        assert (job.dedup_key, job.request_id, job.last_error) == (None, "req-1", None)
        assert len(job.id) == 32
        assert abs(job.enqueued_at - time.time()) < 5

    async def test_a_dedup_key_enqueues_once(self, redis: Redis) -> None:
        queue = JobQueue(redis, "jobs", dedup_ttl_s=60)
        assert await queue.enqueue("t", {"v": 1}, dedup_key="k") is not None
        assert await queue.enqueue("t", {"v": 2}, dedup_key="k") is None
        assert await queue.enqueue("t", {"v": 3}, dedup_key="other") is not None
        assert await queue.enqueue("t", {"v": 4}) is not None  # no key: always
        assert await redis.xlen("jobs") == 3
        assert 0 < await redis.ttl("jobs:dedup:k") <= 60
        job = Job.from_entry(await read_one(redis, queue))
        assert (job.payload, job.dedup_key) == ({"v": 1}, "k")

    async def test_concurrent_enqueues_with_one_key_make_one_job(self, redis: Redis) -> None:
        queue = JobQueue(redis, "jobs")
        results = await asyncio.gather(*(queue.enqueue("t", dedup_key="k") for _ in range(20)))
        assert sum(r is not None for r in results) == 1
        assert await redis.xlen("jobs") == 1


class TestJobFromEntry:
    def fields(self, **changes: str) -> dict[str, str]:
        fields = {"type": "t", "payload": "{}", "job_id": "j", "deliveries": "2"}
        return {**fields, **changes}

    def test_counts_the_deliveries_of_earlier_entries(self) -> None:
        assert Job.from_entry(StreamEntry("1-0", self.fields(), deliveries=3)).delivery == 5

    @pytest.mark.parametrize(
        "fields",
        [{"payload": "{}", "job_id": "j"}, {"type": "t", "payload": "nope", "job_id": "j"},
         {"type": "t", "payload": "[1]", "job_id": "j"}, {"type": "t", "payload": "{}"},
         {"type": "t", "payload": "{}", "job_id": "j", "deliveries": "x"}],
    )  # fmt: skip
    def test_refuses_what_is_not_a_job(self, fields: dict[str, str]) -> None:
        with pytest.raises(InvalidJob):
            Job.from_entry(StreamEntry("1-0", fields))


class TestBackoff:
    def test_full_jitter_under_a_growing_cap(self) -> None:
        for delivery, cap in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 30.0)]:
            delays = [backoff_delay(delivery, 1.0, 30.0) for _ in range(300)]
            assert all(0 <= d <= cap for d in delays)
            assert max(delays) > cap * 0.8
            assert min(delays) < cap * 0.2


class TestRetryAndBury:
    async def test_a_retry_waits_in_the_delayed_set_then_returns_as_a_new_entry(
        self, redis: Redis
    ) -> None:
        queue = JobQueue(redis, "jobs")
        await queue.enqueue("t", {"a": 1})
        entry = await read_one(redis, queue)
        job = Job.from_entry(entry)
        await queue.retry_later("g", entry, job, "ValueError: boom", delay_s=0.3)
        assert (await redis.xlen("jobs"), await redis.zcard("jobs:delayed")) == (0, 1)
        assert await redis.xpending("jobs", "g") == {
            "pending": 0, "min": None, "max": None, "consumers": []
        }  # fmt: skip
        assert await queue.release_due() == 0  # not yet
        await asyncio.sleep(0.35)
        assert await queue.release_due() == 1
        assert await redis.zcard("jobs:delayed") == 0
        again = Job.from_entry(await read_one(redis, queue))
        assert (again.id, again.payload, again.delivery) == (job.id, {"a": 1}, 2)
        assert again.last_error == "ValueError: boom"

    async def test_bury_moves_the_entry_to_the_dead_stream(self, redis: Redis) -> None:
        queue = JobQueue(redis, "jobs", dead_max_len=2)
        for n in range(3):
            await queue.enqueue("t", {"n": n})
            entry = await read_one(redis, queue)
            await queue.bury("g", entry, 5, f"RuntimeError: {n}")
        assert (await redis.xlen("jobs"), await redis.xlen("jobs:dead")) == (0, 2)
        newest = (await queue.dead())[0].fields
        assert orjson.loads(newest["payload"]) == {"n": 2}
        assert (newest["deliveries"], newest["error"]) == ("5", "RuntimeError: 2")

    async def test_a_delivery_is_settled_once(self, redis: Redis) -> None:
        """Two workers that both give up on one entry (one stalled, the other reclaimed
        it) make one dead entry; a retry or an ack after that does nothing."""
        queue = JobQueue(redis, "jobs")
        await queue.enqueue("t", {"a": 1})
        entry = await read_one(redis, queue)
        job = Job.from_entry(entry)
        assert await queue.bury("g", entry, 5, "RuntimeError: one") is True
        assert await queue.bury("g", entry, 6, "RuntimeError: two") is False
        assert await queue.retry_later("g", entry, job, "RuntimeError: three", 0) is False
        assert await StreamGroup(redis, "jobs", "g", "c").ack(entry.id) is False
        assert (await redis.xlen("jobs:dead"), await redis.zcard("jobs:delayed")) == (1, 0)
        assert (await queue.dead())[0].fields["error"] == "RuntimeError: one"

    async def test_a_retry_is_parked_once(self, redis: Redis) -> None:
        queue = JobQueue(redis, "jobs")
        await queue.enqueue("t", {"a": 1})
        entry = await read_one(redis, queue)
        job = Job.from_entry(entry)
        assert await queue.retry_later("g", entry, job, "ValueError: one", 60) is True
        assert await queue.retry_later("g", entry, job, "ValueError: two", 60) is False
        assert await queue.bury("g", entry, 1, "ValueError: three") is False
        assert (await redis.zcard("jobs:delayed"), await redis.xlen("jobs:dead")) == (1, 0)


class TestRegistry:
    async def test_runs_each_type_with_its_handler_and_the_context(self) -> None:
        seen: list[tuple[str, str]] = []
        jobs = JobRegistry[str]()

        @jobs.handler("a")
        async def handle_a(job: Job, context: str) -> None:
            seen.append((job.type, context))

        more = JobRegistry[str]()

        @more.handler("b")
        async def handle_b(job: Job, context: str) -> None:
            seen.append((job.type, context))

        jobs.include(more)
        run = jobs.bind("ctx")
        await run(Job("1", "a", {}, 1))
        await run(Job("2", "b", {}, 1))
        assert seen == [("a", "ctx"), ("b", "ctx")]
        assert jobs.types == ["a", "b"]
        with pytest.raises(UnknownJobType):
            await run(Job("3", "c", {}, 1))

    def test_refuses_two_handlers_for_one_type(self) -> None:
        jobs = JobRegistry[None]()

        @jobs.handler("a")
        async def first(job: Job, context: None) -> None: ...

        with pytest.raises(ValueError, match="two handlers"):

            @jobs.handler("a")
            async def second(job: Job, context: None) -> None: ...

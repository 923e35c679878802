from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY
from redis.asyncio import Redis

from concierge.streams import Job, JobQueue, StreamGroup
from concierge.streams.metrics import queue_stats, record_queue_stats


class TestQueueStats:
    async def test_an_empty_queue(self, any_redis: Redis) -> None:
        queue = JobQueue(any_redis, "jobs")
        await StreamGroup(any_redis, "jobs", "g", "c").ensure()
        stats = await queue_stats(queue, "g")
        assert (stats.length, stats.pending, stats.delayed, stats.dead) == (0, 0, 0, 0)
        assert stats.oldest_age_s == 0.0

    async def test_counts_every_state_a_job_can_be_in(self, any_redis: Redis) -> None:
        queue = JobQueue(any_redis, "jobs")
        group = StreamGroup(any_redis, "jobs", "g", "c")
        await group.ensure()
        for n in range(5):
            await queue.enqueue("t", {"n": n})
        await asyncio.sleep(0.2)
        first, second, _ = await group.read(3, 10)  # three running, two waiting
        await queue.retry_later("g", first, Job.from_entry(first), "boom", delay_s=60)
        await queue.bury("g", second, 5, "boom")
        stats = await record_queue_stats(queue, "g")
        assert (stats.length, stats.pending, stats.delayed, stats.dead) == (3, 1, 1, 1)
        assert 0.2 <= stats.oldest_age_s < 5
        assert REGISTRY.get_sample_value("jobs_queue_length", {"stream": "jobs"}) == 3
        assert REGISTRY.get_sample_value("jobs_dead", {"stream": "jobs"}) == 1

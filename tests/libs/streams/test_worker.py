"""The consume loop in this process, against a real Redis (6.2 and 7).

Thresholds are shrunk to fractions of a second; the tests with real worker processes
(tests/services/worker) cover crashes, kills and restarts.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import orjson
import pytest
from redis.asyncio import Redis

from concierge.streams import Job, JobQueue, JobRegistry, JobWorker, StreamGroup, WorkerOptions
from concierge.streams.jobs import job_fields

FAST = WorkerOptions(
    concurrency=4,
    reclaim_after_s=0.4,
    retry_base_s=0.01,
    retry_max_s=0.05,
    read_block_s=0.1,
)
Runner = Callable[[Job], Awaitable[None]]


@asynccontextmanager
async def running(
    redis: Redis,
    run_job: Runner,
    options: WorkerOptions = FAST,
    consumer: str = "w1",
    grace_s: float = 2.0,
) -> AsyncIterator[JobWorker]:
    queue = JobQueue(redis, "jobs")
    worker = JobWorker(queue, StreamGroup(redis, "jobs", "workers", consumer), run_job, options)
    worker.start()
    try:
        yield worker
    finally:
        await worker.shutdown(grace_s)


async def eventually(check: Callable[[], object], timeout_s: float = 5.0) -> None:
    """Wait until check() (a plain or an async function) returns something true."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def queue_is_empty(redis: Redis) -> bool:
    pending = await redis.xpending("jobs", "workers")
    return await redis.xlen("jobs") == 0 and pending["pending"] == 0


class Recorder:
    """A handler that records every delivery it gets and fails as told.

    A job's ``sleep_s`` payload field overrides the recorder's; ``n`` names it in
    ``started``/``ended`` (loop times) and in the busy counts by type.
    """

    def __init__(self, fail_until: int = 0, sleep_s: float = 0.0) -> None:
        self.fail_until = fail_until
        self.sleep_s = sleep_s
        self.runs: list[Job] = []
        self.done: list[Job] = []
        self.busy = 0
        self.most_busy = 0
        self.busy_by_type: Counter[str] = Counter()
        self.most_busy_by_type: Counter[str] = Counter()
        self.started: dict[object, float] = {}
        self.ended: dict[object, float] = {}

    async def __call__(self, job: Job) -> None:
        loop = asyncio.get_running_loop()
        self.runs.append(job)
        self.started[job.payload.get("n")] = loop.time()
        self.busy += 1
        self.most_busy = max(self.most_busy, self.busy)
        self.busy_by_type[job.type] += 1
        self.most_busy_by_type[job.type] = max(
            self.most_busy_by_type[job.type], self.busy_by_type[job.type]
        )
        try:
            await asyncio.sleep(float(job.payload.get("sleep_s", self.sleep_s)))
            if job.delivery <= self.fail_until or job.payload.get("always_fail"):
                raise RuntimeError(f"failing delivery {job.delivery}")
            self.done.append(job)
        finally:
            self.busy -= 1
            self.busy_by_type[job.type] -= 1
            self.ended[job.payload.get("n")] = loop.time()

    def done_names(self) -> set[object]:
        return {job.payload.get("n") for job in self.done}


class TestRunning:
    async def test_a_job_runs_once_then_is_acknowledged_and_deleted(self, any_redis: Redis) -> None:
        recorder = Recorder()
        async with running(any_redis, recorder):
            await JobQueue(any_redis, "jobs").enqueue("t", {"n": 1})
            await eventually(lambda: recorder.done)
            await eventually(lambda: queue_is_empty(any_redis))
        assert [(j.payload, j.delivery) for j in recorder.runs] == [({"n": 1}, 1)]

    async def test_no_more_than_concurrency_jobs_run_at_once(self, any_redis: Redis) -> None:
        recorder = Recorder(sleep_s=0.05)
        queue = JobQueue(any_redis, "jobs")
        for n in range(20):
            await queue.enqueue("t", {"n": n})
        async with running(any_redis, recorder, replace(FAST, concurrency=3)):
            await eventually(lambda: len(recorder.done) == 20)
        assert recorder.most_busy == 3

    async def test_each_job_done_is_one_info_line(
        self, any_redis: Redis, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="concierge.streams.worker")
        recorder = Recorder()
        queue = JobQueue(any_redis, "jobs")
        async with running(any_redis, recorder):
            for n in range(3):
                await queue.enqueue("desk.thing", {"n": n})
            await eventually(lambda: len(recorder.done) == 3)
            await asyncio.sleep(FAST.read_block_s * 3)  # idle: nothing more to say
        lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
        assert len(lines) == 3, lines
        job_ids = {job.id for job in recorder.done}
        assert all(" (desk.thing) done in " in line for line in lines)
        assert {line.split()[1] for line in lines} == job_ids


class TestRetries:
    async def test_a_failed_job_is_retried_until_it_succeeds(self, any_redis: Redis) -> None:
        recorder = Recorder(fail_until=2)
        async with running(any_redis, recorder):
            await JobQueue(any_redis, "jobs").enqueue("t", {"n": 1})
            await eventually(lambda: recorder.done)
            await eventually(lambda: queue_is_empty(any_redis))
        assert [j.delivery for j in recorder.runs] == [1, 2, 3]
        assert len({j.id for j in recorder.runs}) == 1
        assert recorder.runs[-1].last_error == "RuntimeError: failing delivery 2"
        assert await any_redis.xlen("jobs:dead") == 0

    async def test_a_job_failing_5_times_goes_dead_with_its_error_and_others_go_on(
        self, any_redis: Redis
    ) -> None:
        recorder = Recorder()
        queue = JobQueue(any_redis, "jobs")
        async with running(any_redis, recorder):
            await queue.enqueue("t", {"always_fail": True})
            for n in range(5):
                await queue.enqueue("t", {"n": n})
            await eventually(lambda: any_redis.xlen("jobs:dead"))
            await eventually(lambda: queue_is_empty(any_redis))
        failing = [j.delivery for j in recorder.runs if j.payload.get("always_fail")]
        assert failing == [1, 2, 3, 4, 5]
        assert len(recorder.done) == 5
        (dead,) = await queue.dead()
        assert dead.fields["type"] == "t"
        assert orjson.loads(dead.fields["payload"]) == {"always_fail": True}
        assert dead.fields["deliveries"] == "5"
        assert dead.fields["error"] == "RuntimeError: failing delivery 5"
        assert await any_redis.zcard("jobs:delayed") == 0

    async def test_a_job_nobody_can_handle_goes_dead_too(self, any_redis: Redis) -> None:
        registry = JobRegistry[None]()
        async with running(any_redis, registry.bind(None)):
            await JobQueue(any_redis, "jobs").enqueue("desk.unknown")
            await eventually(lambda: any_redis.xlen("jobs:dead"))
        (dead,) = await JobQueue(any_redis, "jobs").dead()
        assert "no handler for job type 'desk.unknown'" in dead.fields["error"]

    async def test_an_entry_that_is_not_a_job_goes_dead_at_once(self, any_redis: Redis) -> None:
        recorder = Recorder()
        async with running(any_redis, recorder):
            await any_redis.xadd("jobs", {"something": "else"})
            await eventually(lambda: any_redis.xlen("jobs:dead"))
            await eventually(lambda: queue_is_empty(any_redis))
        assert recorder.runs == []


async def deliver_without_ack(redis: Redis, times: int) -> None:
    """Hand the one entry of ``jobs`` out ``times`` times to consumers that then die."""
    ghost = StreamGroup(redis, "jobs", "workers", "ghost-1")
    await ghost.ensure()
    await ghost.read(1, 10)
    for n in range(2, times + 1):
        await StreamGroup(redis, "jobs", "workers", f"ghost-{n}").reclaim(min_idle_ms=0)


class TestReclaim:
    async def test_a_job_abandoned_by_a_dead_worker_runs_here(self, any_redis: Redis) -> None:
        await JobQueue(any_redis, "jobs").enqueue("t", {"n": 1})
        await deliver_without_ack(any_redis, 1)
        recorder = Recorder()
        started = time.monotonic()
        async with running(any_redis, recorder):
            await eventually(lambda: recorder.done)
            await eventually(lambda: queue_is_empty(any_redis))
        assert time.monotonic() - started >= FAST.reclaim_after_s
        assert [j.delivery for j in recorder.runs] == [2]

    async def test_a_job_abandoned_before_the_worker_started_runs_once(
        self, any_redis: Redis
    ) -> None:
        """Idle past the threshold at start (a slow start after a crash): the first
        reclaim takes it, and the start-up read of the backlog does not hand it out again."""
        await JobQueue(any_redis, "jobs").enqueue("t", {"n": 1})
        await deliver_without_ack(any_redis, 1)
        await asyncio.sleep(FAST.reclaim_after_s + 0.1)
        recorder = Recorder(sleep_s=FAST.reclaim_after_s)
        async with running(any_redis, recorder):
            await eventually(lambda: recorder.done)
            await eventually(lambda: queue_is_empty(any_redis))
        assert [j.delivery for j in recorder.runs] == [2]
        assert await any_redis.xlen("jobs:dead") == 0

    async def test_a_restarted_worker_runs_its_backlog_once(self, any_redis: Redis) -> None:
        await JobQueue(any_redis, "jobs").enqueue("t", {"n": 1})
        before = StreamGroup(any_redis, "jobs", "workers", "w1")  # the same name, crashed
        await before.ensure()
        await before.read(1, 10)
        recorder = Recorder(sleep_s=FAST.reclaim_after_s)
        async with running(any_redis, recorder, consumer="w1"):
            await eventually(lambda: recorder.done)
            await eventually(lambda: queue_is_empty(any_redis))
        assert [j.delivery for j in recorder.runs] == [2]

    async def test_a_job_two_workers_give_up_on_goes_dead_once(self, any_redis: Redis) -> None:
        """w1 runs the last delivery and stalls (no heartbeat for longer than w2's
        threshold); w2 reclaims it and buries it; then w1's handler fails too."""
        fields = {**job_fields("t", {"always_fail": True}, dedup_key=None), "deliveries": "4"}
        await any_redis.xadd("jobs", fields)
        stalled = Recorder(sleep_s=FAST.reclaim_after_s * 3)
        rescuer = Recorder()
        async with running(any_redis, stalled, replace(FAST, reclaim_after_s=100), "w1"):
            await eventually(lambda: stalled.runs)
            async with running(any_redis, rescuer, consumer="w2"):
                await eventually(lambda: any_redis.xlen("jobs:dead"))
                await eventually(lambda: stalled.busy == 0)
                await eventually(lambda: queue_is_empty(any_redis))
        assert [j.delivery for j in stalled.runs] == [5]
        assert rescuer.runs == []  # delivery 6: buried without running
        (dead,) = await JobQueue(any_redis, "jobs").dead()
        assert dead.fields["deliveries"] == "5"
        assert "died or stalled" in dead.fields["error"]
        assert await any_redis.zcard("jobs:delayed") == 0

    async def test_a_job_done_by_the_worker_that_reclaimed_it_is_not_retried_too(
        self, any_redis: Redis
    ) -> None:
        await JobQueue(any_redis, "jobs").enqueue("t", {"n": 1})
        stalled = Recorder(fail_until=1, sleep_s=FAST.reclaim_after_s * 3)
        rescuer = Recorder()
        async with running(any_redis, stalled, replace(FAST, reclaim_after_s=100), "w1"):
            await eventually(lambda: stalled.runs)
            async with running(any_redis, rescuer, consumer="w2"):
                await eventually(lambda: rescuer.done)
                await eventually(lambda: stalled.busy == 0)
                await asyncio.sleep(FAST.retry_max_s + 0.2)  # a retry would be back by now
                await eventually(lambda: queue_is_empty(any_redis))
        assert [j.delivery for j in stalled.runs] == [1]
        assert [j.delivery for j in rescuer.runs] == [2]
        assert stalled.done == []
        assert await any_redis.zcard("jobs:delayed") == 0

    async def test_a_job_abandoned_5_times_goes_dead_without_running(
        self, any_redis: Redis
    ) -> None:
        await JobQueue(any_redis, "jobs").enqueue("t", {"n": 1})
        await deliver_without_ack(any_redis, 5)
        recorder = Recorder()
        async with running(any_redis, recorder):
            await eventually(lambda: any_redis.xlen("jobs:dead"))
            await eventually(lambda: queue_is_empty(any_redis))
        assert recorder.runs == []
        (dead,) = await JobQueue(any_redis, "jobs").dead()
        assert dead.fields["deliveries"] == "5"
        assert "died or stalled" in dead.fields["error"]

    async def test_a_crash_after_a_failure_keeps_the_count_and_the_error(
        self, any_redis: Redis
    ) -> None:
        queue = JobQueue(any_redis, "jobs")
        await queue.enqueue("t", {"n": 1})
        reader = StreamGroup(any_redis, "jobs", "workers", "first")
        await reader.ensure()
        (entry,) = await reader.read(1, 10)
        job = Job.from_entry(entry)
        await queue.retry_later("workers", entry, job, "RuntimeError: first", delay_s=0)
        await queue.release_due()
        await deliver_without_ack(any_redis, 4)  # deliveries 2 to 5 die
        async with running(any_redis, Recorder()):
            await eventually(lambda: any_redis.xlen("jobs:dead"))
        (dead,) = await queue.dead()
        assert dead.fields["deliveries"] == "5"
        assert "the failure before that: RuntimeError: first" in dead.fields["error"]

    async def test_a_heartbeat_keeps_a_long_job_from_being_reclaimed(
        self, any_redis: Redis
    ) -> None:
        recorder = Recorder(sleep_s=FAST.reclaim_after_s * 3)
        other = Recorder()
        async with running(any_redis, recorder, consumer="w1"):
            await JobQueue(any_redis, "jobs").enqueue("t", {"n": 1})
            await eventually(lambda: recorder.runs)
            async with running(any_redis, other, consumer="w2"):
                await eventually(lambda: recorder.done, 5)
                await eventually(lambda: queue_is_empty(any_redis))
        assert (len(recorder.runs), other.runs) == (1, [])


async def abandon(redis: Redis, count: int, consumer: str = "ghost") -> None:
    """The first ``count`` entries of ``jobs`` are handed to a consumer that then dies."""
    ghost = StreamGroup(redis, "jobs", "workers", consumer)
    await ghost.ensure()
    assert len(await ghost.read(count, 10)) == count


class TestRedelivered:
    """Entries whose worker died (a deploy, a crash) run beside new work, within a cap
    per job type; one that may be what killed its worker runs alone."""

    async def test_a_job_abandoned_once_runs_alongside_new_jobs(self, any_redis: Redis) -> None:
        queue = JobQueue(any_redis, "jobs")
        await queue.enqueue("t", {"n": "redelivered", "sleep_s": 3.0})
        await abandon(any_redis, 1)
        recorder = Recorder()
        async with running(any_redis, recorder, grace_s=5.0):
            await eventually(lambda: recorder.runs)
            for n in range(3):
                await queue.enqueue("t", {"n": n})
            await eventually(lambda: {0, 1, 2} <= recorder.done_names(), 2.0)
            assert "redelivered" not in recorder.done_names()
            await eventually(lambda: queue_is_empty(any_redis), 5.0)
        assert recorder.runs[0].delivery == 2

    async def test_at_most_the_cap_of_one_type_runs_at_once_and_other_types_go_on(
        self, any_redis: Redis
    ) -> None:
        queue = JobQueue(any_redis, "jobs")
        for n in range(5):
            await queue.enqueue("a", {"n": f"a{n}", "sleep_s": 0.3})
        for n in range(2):
            await queue.enqueue("b", {"n": f"b{n}", "sleep_s": 0.3})
        await abandon(any_redis, 7)
        recorder = Recorder()
        options = replace(FAST, concurrency=8, redelivered_per_type=2)
        async with running(any_redis, recorder, options):
            await eventually(lambda: len(recorder.done) == 7, 10.0)
            await eventually(lambda: queue_is_empty(any_redis))
        assert recorder.most_busy_by_type == {"a": 2, "b": 2}
        assert recorder.most_busy >= 3  # the types ran side by side
        assert {job.delivery for job in recorder.runs} == {2}
        assert await any_redis.xlen("jobs:dead") == 0

    async def test_a_restarted_workers_backlog_keeps_the_cap(self, any_redis: Redis) -> None:
        queue = JobQueue(any_redis, "jobs")
        for n in range(4):
            await queue.enqueue("a", {"n": n, "sleep_s": 0.2})
        await abandon(any_redis, 4, consumer="w1")  # this worker's name, before a restart
        recorder = Recorder()
        async with running(any_redis, recorder, replace(FAST, redelivered_per_type=2)):
            await eventually(lambda: len(recorder.done) == 4, 10.0)
            await eventually(lambda: queue_is_empty(any_redis))
        assert recorder.most_busy_by_type == {"a": 2}

    @pytest.mark.parametrize(
        ("failed_before", "abandoned", "delivery"),
        [(0, 2, 3), (3, 1, 5)],
        ids=["abandoned-twice", "last-delivery"],
    )
    async def test_a_possible_poison_job_waits_for_the_running_jobs_then_runs_alone(
        self, any_redis: Redis, failed_before: int, abandoned: int, delivery: int
    ) -> None:
        """Were it to crash this worker, no other job would go down with it."""
        fields = job_fields("t", {"n": "suspect", "sleep_s": 0.5}, dedup_key=None)
        await any_redis.xadd("jobs", {**fields, "deliveries": str(failed_before)})
        await deliver_without_ack(any_redis, abandoned)
        queue = JobQueue(any_redis, "jobs")
        await queue.enqueue("t", {"n": "running", "sleep_s": 1.0})
        recorder = Recorder()
        async with running(any_redis, recorder):
            await eventually(lambda: "suspect" in recorder.started, 5.0)
            await queue.enqueue("t", {"n": "later"})
            await eventually(lambda: len(recorder.done) == 3, 5.0)
            await eventually(lambda: queue_is_empty(any_redis))
        assert recorder.started["suspect"] >= recorder.ended["running"]
        assert recorder.started["later"] >= recorder.ended["suspect"]
        suspect = next(job for job in recorder.runs if job.payload["n"] == "suspect")
        assert suspect.delivery == delivery


class TestShutdown:
    async def test_running_jobs_finish_within_the_grace_period(self, any_redis: Redis) -> None:
        recorder = Recorder(sleep_s=0.3)
        async with running(any_redis, recorder, grace_s=2.0):
            await JobQueue(any_redis, "jobs").enqueue("t", {"n": 1})
            await eventually(lambda: recorder.runs)
        assert len(recorder.done) == 1
        assert await queue_is_empty(any_redis)

    async def test_jobs_still_running_after_it_are_left_for_another_worker(
        self, any_redis: Redis
    ) -> None:
        recorder = Recorder(sleep_s=30)
        queue = JobQueue(any_redis, "jobs")
        worker = JobWorker(queue, StreamGroup(any_redis, "jobs", "workers", "w1"), recorder, FAST)
        worker.start()
        await queue.enqueue("t", {"n": 1})
        await eventually(lambda: recorder.runs)
        started = time.monotonic()
        await worker.shutdown(0.3)
        assert time.monotonic() - started < 1.0
        assert recorder.done == []
        assert (await any_redis.xpending("jobs", "workers"))["pending"] == 1
        assert await any_redis.zcard("jobs:delayed") == 0
        assert await any_redis.xlen("jobs:dead") == 0
        again = Recorder()
        async with running(any_redis, again, consumer="w2"):
            await eventually(lambda: again.done)
        assert [j.delivery for j in again.runs] == [2]

    async def test_an_idle_worker_stops_at_once(self, any_redis: Redis) -> None:
        worker = JobWorker(
            JobQueue(any_redis, "jobs"),
            StreamGroup(any_redis, "jobs", "workers", "w1"),
            Recorder(),
            replace(FAST, read_block_s=10),
        )
        worker.start()
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await worker.shutdown(5)
        assert time.monotonic() - started < 0.5

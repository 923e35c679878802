"""Reliable delivery with real worker processes, real Redis and real Postgres.

Workers are killed, stopped, poisoned and left without Redis; every job still
completes, its effect exists once, and nothing stays pending. The reclaim threshold
is shortened to RECLAIM_AFTER_S.
"""

from __future__ import annotations

import signal
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.db import Database
from concierge.embedded import EmbeddedRedis, ServiceProcess
from concierge.streams import JobQueue
from concierge.worker.scheduling.repository import ScheduleRepository
from concierge.worker.scheduling.service import save_schedule
from tests.services.worker.conftest import RECLAIM_AFTER_S, Fleet, eventually
from tests.support.jobs import started_key

pytestmark = pytest.mark.e2e


async def effects(db: AsyncEngine, prefix: str = "") -> dict[str, int]:
    """Key -> runs that committed, for the effects whose key starts with prefix."""
    async with db.connect() as connection:
        rows = await connection.execute(
            text("SELECT key, runs FROM job_effects WHERE key LIKE :prefix"),
            {"prefix": f"{prefix}%"},
        )
        return {key: runs for key, runs in rows}


async def delivery_of(db: AsyncEngine, key: str) -> int:
    async with db.connect() as connection:
        query = text("SELECT delivery FROM job_effects WHERE key = :key")
        return int((await connection.execute(query, {"key": key})).scalar_one())


async def settled(redis: Redis) -> bool:
    """Nothing waiting, running or pending in the jobs stream."""
    try:
        pending = await redis.xpending("jobs", "workers")
    except ResponseError:  # NOGROUP: no worker has created the group yet
        return False
    return await redis.xlen("jobs") == 0 and pending["pending"] == 0


async def starts(redis: Redis, key: str) -> int:
    return int(await redis.get(started_key(key)) or 0)


def supervising(
    fleet: Fleet, check: Callable[[], Awaitable[bool]]
) -> Callable[[], Awaitable[bool]]:
    """The check, after replacing dead workers as a container's restart policy would."""

    async def supervised() -> bool:
        fleet.restart_dead()
        return await check()

    return supervised


class TestWorkerKilled:
    async def test_another_worker_completes_the_job_once(
        self, fleet: Fleet, db: AsyncEngine, wredis: Redis
    ) -> None:
        fleet.start(2)
        await JobQueue(wredis).enqueue("test.effect", {"key": "k", "sleep_s": 2, "track": True})
        await eventually(lambda: starts(wredis, "k"), 10, fleet.log_tail)
        (entry,) = await wredis.xpending_range("jobs", "workers", "-", "+", 1)
        fleet.by_consumer(entry["consumer"]).kill()  # SIGKILL, mid-job

        took = await eventually(lambda: effects(db, "k"), RECLAIM_AFTER_S + 10, fleet.log_tail)
        await eventually(lambda: settled(wredis), 5)
        assert took < RECLAIM_AFTER_S + 10
        assert await effects(db, "k") == {"k": 1}
        assert await starts(wredis, "k") == 2
        assert await delivery_of(db, "k") == 2


class TestLongJob:
    async def test_a_job_three_times_longer_than_the_reclaim_threshold_runs_once(
        self, fleet: Fleet, db: AsyncEngine, wredis: Redis
    ) -> None:
        fleet.start(2)
        payload = {"key": "long", "sleep_s": RECLAIM_AFTER_S * 3, "track": True}
        await JobQueue(wredis).enqueue("test.effect", payload)
        await eventually(lambda: effects(db, "long"), RECLAIM_AFTER_S * 3 + 10, fleet.log_tail)
        await eventually(lambda: settled(wredis), 5)
        assert await effects(db, "long") == {"long": 1}
        assert await starts(wredis, "long") == 1
        assert await delivery_of(db, "long") == 1


class TestPoisonJob:
    async def test_it_goes_dead_after_5_deliveries_while_other_jobs_flow(
        self, fleet: Fleet, db: AsyncEngine, wredis: Redis
    ) -> None:
        fleet.start(2)
        queue = JobQueue(wredis)
        await queue.enqueue("test.poison", {"key": "poison"})

        async def poison_started_twice() -> bool:
            return await starts(wredis, "poison") >= 2

        await eventually(supervising(fleet, poison_started_twice), 30, fleet.log_tail)
        for n in range(40):
            await queue.enqueue("test.effect", {"key": f"ok-{n}"})

        async def others_done() -> bool:
            return len(await effects(db, "ok-")) == 40

        await eventually(supervising(fleet, others_done), 30, fleet.log_tail)
        assert await wredis.xlen("jobs:dead") == 0  # the poison is still being retried

        async def poison_dead() -> bool:
            return await wredis.xlen("jobs:dead") == 1

        await eventually(supervising(fleet, poison_dead), 60, fleet.log_tail)
        await eventually(lambda: settled(wredis), 10)
        assert await starts(wredis, "poison") == 5
        (dead,) = await queue.dead()
        assert dead.fields["type"] == "test.poison"
        assert dead.fields["deliveries"] == "5"
        assert "died or stalled" in dead.fields["error"]
        assert set(await effects(db, "ok-")) == {f"ok-{n}" for n in range(40)}

    async def test_jobs_that_ran_beside_it_are_done_never_buried(
        self, fleet: Fleet, db: AsyncEngine, wredis: Redis
    ) -> None:
        """Each crash it causes takes the jobs running beside it down too; each of those
        is dragged along at most twice (WorkerOptions.alone_after), then runs alone."""
        fleet.start(2)
        queue = JobQueue(wredis)
        for n in range(6):
            await queue.enqueue("test.effect", {"key": f"beside-{n}", "sleep_s": 1.5})
        await queue.enqueue("test.poison", {"key": "poison"})

        async def poison_dead() -> bool:
            return await wredis.xlen("jobs:dead") == 1

        await eventually(supervising(fleet, poison_dead), 90, fleet.log_tail)
        await eventually(supervising(fleet, lambda: settled(wredis)), 30, fleet.log_tail)
        assert set(await effects(db, "beside-")) == {f"beside-{n}" for n in range(6)}
        deliveries = [await delivery_of(db, f"beside-{n}") for n in range(6)]
        assert max(deliveries) <= 3, deliveries
        assert (await queue.dead())[0].fields["type"] == "test.poison"


class TestSchedulerReplicas:
    async def test_three_replicas_fire_each_of_100_ticks_once(
        self, fleet: Fleet, db: AsyncEngine, database: Database, wredis: Redis
    ) -> None:
        replicas = fleet.start(3, scheduler_enabled="true", scheduler_poll_s="0.05")
        first: dict[str, datetime] = {}
        async with database.transaction() as session:
            now = await ScheduleRepository(session).now()
            for n in range(20):
                first[f"tick-{n}"] = now + timedelta(seconds=1, milliseconds=50 * n)
                await save_schedule(
                    session, f"tick-{n}", "test.tick", every_s=1, first_run_at=first[f"tick-{n}"]
                )

        async def fired() -> bool:
            return len(await effects(db, "schedule:")) >= 100

        await eventually(fired, 30, fleet.log_tail)
        async with database.transaction() as session:
            await session.execute(text("UPDATE schedules SET enabled = false"))
        await eventually(lambda: settled(wredis), 10)

        done = await effects(db, "schedule:")
        assert set(done.values()) == {1}  # no tick ran twice
        ticks: dict[str, list[datetime]] = defaultdict(list)
        for key in done:
            _, name, tick = key.split(":", 2)
            ticks[name].append(datetime.fromisoformat(tick))
        for name, times in ticks.items():  # none skipped: one per second from the first
            times.sort()
            assert times == [first[name] + timedelta(seconds=s) for s in range(len(times))]
        enqueued, duplicates = await tick_counters(replicas)
        assert (enqueued, duplicates) == (len(done), 0)  # each tick claimed once


async def tick_counters(replicas: list[ServiceProcess]) -> tuple[int, int]:
    """scheduler_ticks_total of the test's tick-* schedules (not the worker's own, such
    as the market expiry sweep) summed over the replicas: (enqueued, duplicate)."""
    totals: dict[str, float] = defaultdict(float)
    async with httpx.AsyncClient() as http:
        for replica in replicas:
            body = (await http.get(f"{replica.url}/metrics")).text
            for family in text_string_to_metric_families(body):
                for sample in family.samples:
                    if sample.name == "scheduler_ticks_total" and sample.labels[
                        "schedule"
                    ].startswith("tick-"):
                        totals[sample.labels["outcome"]] += sample.value
    return int(totals["enqueued"]), int(totals["duplicate"])


class TestRedisRestart:
    async def test_a_thousand_queued_jobs_all_complete_once(
        self, fleet: Fleet, db: AsyncEngine, scratch: Path
    ) -> None:
        server = EmbeddedRedis(scratch / "redis-restart").start()  # AOF, like compose's
        redis = Redis.from_url(server.url, decode_responses=True)
        try:
            queue = JobQueue(redis)
            for n in range(1000):
                await queue.enqueue("test.effect", {"key": f"r-{n}", "sleep_s": 0.02})
            fleet.redis_url = server.url
            fleet.start(2, concurrency="8")

            async def some_done() -> bool:
                return len(await effects(db, "r-")) >= 150

            await eventually(some_done, 30, fleet.log_tail)
            server.stop()
            server.start()
            assert len(await effects(db, "r-")) < 1000  # the restart hit a busy queue

            async def all_done() -> bool:
                return len(await effects(db, "r-")) == 1000

            await eventually(all_done, 60, fleet.log_tail)
            await eventually(lambda: settled(redis), 20, fleet.log_tail)
            assert set((await effects(db, "r-")).values()) == {1}
            assert await redis.xlen("jobs:dead") == 0
        finally:
            fleet.stop()
            await redis.aclose()
            server.stop()


class TestSigterm:
    async def test_the_worker_exits_in_time_and_the_job_is_done_or_redelivered(
        self, fleet: Fleet, db: AsyncEngine, wredis: Redis
    ) -> None:
        (worker,) = fleet.start(1)
        queue = JobQueue(wredis)
        await queue.enqueue("test.effect", {"key": "short", "sleep_s": 1, "track": True})
        await queue.enqueue("test.effect", {"key": "long", "sleep_s": 5, "track": True})

        async def both_started() -> bool:
            return await starts(wredis, "short") == 1 and await starts(wredis, "long") == 1

        await eventually(both_started, 10, fleet.log_tail)
        started = time.monotonic()
        code = worker.stop(timeout_s=10)  # SIGTERM; SIGKILL after 10 s, like Docker
        took = time.monotonic() - started
        assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it is done
        assert took < 10
        assert await effects(db, "short") == {"short": 1}  # finished within the grace period
        assert await effects(db, "long") == {}  # left unacknowledged
        assert (await wredis.xpending("jobs", "workers"))["pending"] == 1

        fleet.start(1)
        await eventually(lambda: effects(db, "long"), RECLAIM_AFTER_S + 5 + 10, fleet.log_tail)
        await eventually(lambda: settled(wredis), 5)
        assert await effects(db, "long") == {"long": 1}
        assert await starts(wredis, "long") == 2


class TestService:
    async def test_health_ready_and_metrics(self, fleet: Fleet, db: AsyncEngine, wredis: Redis):
        (worker,) = fleet.start(1)
        await JobQueue(wredis).enqueue("platform.ping")
        await eventually(lambda: settled(wredis), 10, fleet.log_tail)
        async with httpx.AsyncClient(base_url=worker.url) as http:
            assert (await http.get("/health")).json() == {"status": "ok", "service": "worker"}
            ready = await http.get("/ready")
            assert ready.status_code == 200
            assert ready.json()["checks"] == {"redis": "ok", "postgres": "ok"}
            # Watch targets' health is shown beside the checks (none failing here).
            assert ready.json()["degraded"] == {"watch_targets": {"unhealthy": 0, "targets": []}}
            metrics = (await http.get("/metrics")).text
        for name in ("jobs_queue_length", "jobs_pending", "jobs_oldest_age_seconds", "jobs_dead"):
            assert f'{name}{{stream="jobs"}}' in metrics, name
        done = 'jobs_processed_total{outcome="done",stream="jobs",type="platform.ping"} 1.0'
        assert done in metrics
        assert 'job_duration_seconds_count{outcome="done",stream="jobs",type="platform.ping"}' in (
            metrics
        )

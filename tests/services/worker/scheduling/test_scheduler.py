"""The scheduler in this process, on the workers' database and Redis db 3."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, text

from concierge.db import Database
from concierge.domain.scheduling.models import Schedule
from concierge.streams import Job, JobQueue, StreamGroup
from concierge.worker.scheduling.repository import ScheduleRepository
from concierge.worker.scheduling.scheduler import Scheduler
from concierge.worker.scheduling.service import save_schedule
from concierge.worker.scheduling.timing import InvalidTiming


async def db_now(database: Database) -> datetime:
    async with database.transaction() as session:
        return await ScheduleRepository(session).now()


async def add(database: Database, name: str, due_in_s: float, every_s: float = 60) -> None:
    first = await db_now(database) + timedelta(seconds=due_in_s)
    async with database.transaction() as session:
        await save_schedule(
            session, name, "desk.job", every_s=every_s, payload={"name": name}, first_run_at=first
        )


async def stored(database: Database, name: str) -> Schedule:
    async with database.transaction() as session:
        schedule = await ScheduleRepository(session).by_name(name)
    assert schedule is not None
    return schedule


async def queued_jobs(redis: Redis) -> list[Job]:
    group = StreamGroup(redis, "jobs", "check", "c")
    await group.ensure()
    return [Job.from_entry(entry) for entry in await group.read(1000, 10)]


class TestFireDue:
    async def test_enqueues_a_due_schedule_and_moves_it_on(
        self, database: Database, wredis: Redis
    ) -> None:
        await add(database, "due", -1.5)
        await add(database, "later", 30)
        await add(database, "off", -1)
        async with database.transaction() as session:
            await session.execute(text("UPDATE schedules SET enabled = false WHERE name = 'off'"))
        tick = (await stored(database, "due")).next_run_at

        assert await Scheduler(database, JobQueue(wredis)).fire_due() == 1
        (job,) = await queued_jobs(wredis)
        assert (job.type, job.payload) == ("desk.job", {"name": "due"})
        assert job.dedup_key == f"schedule:due:{tick.isoformat()}"
        schedule = await stored(database, "due")
        assert schedule.next_run_at == tick + timedelta(seconds=60)
        assert schedule.last_run_at is not None
        assert await Scheduler(database, JobQueue(wredis)).fire_due() == 0

    async def test_a_tick_fired_again_after_a_lost_commit_is_one_job(
        self, database: Database, wredis: Redis
    ) -> None:
        await add(database, "s", -1)
        tick = (await stored(database, "s")).next_run_at
        scheduler = Scheduler(database, JobQueue(wredis))
        await scheduler.fire_due()
        async with database.transaction() as session:  # as if the commit had failed
            await session.execute(text("UPDATE schedules SET next_run_at = :t"), {"t": tick})
        assert await scheduler.fire_due() == 1
        assert len(await queued_jobs(wredis)) == 1

    async def test_rows_another_transaction_holds_are_skipped_not_waited_for(
        self, database: Database, wredis: Redis
    ) -> None:
        await add(database, "held", -1)
        await add(database, "free", -1)
        async with database.transaction() as session:
            held = select(Schedule).where(Schedule.name == "held").with_for_update()
            await session.execute(held)
            started = time.monotonic()
            assert await Scheduler(database, JobQueue(wredis)).fire_due() == 1
            assert time.monotonic() - started < 1
        assert [job.payload["name"] for job in await queued_jobs(wredis)] == ["free"]

    async def test_concurrent_schedulers_fire_each_tick_once(
        self, database: Database, worker_database_url: str, wredis: Redis
    ) -> None:
        for n in range(60):
            await add(database, f"s{n}", -1, every_s=3600)
        replicas = [Database(worker_database_url) for _ in range(3)]
        try:
            schedulers = [Scheduler(r, JobQueue(wredis), batch=7) for r in replicas]
            for _ in range(10):
                await asyncio.gather(*(s.fire_due() for s in schedulers))
        finally:
            for replica in replicas:
                await replica.dispose()
        names = [job.payload["name"] for job in await queued_jobs(wredis)]
        assert sorted(names) == sorted(f"s{n}" for n in range(60))


class TestSaveSchedule:
    async def test_an_update_keeps_the_next_tick_unless_the_timing_changes(
        self, database: Database
    ) -> None:
        async with database.transaction() as session:
            await save_schedule(session, "s", "desk.job", every_s=60)
        created = await stored(database, "s")
        async with database.transaction() as session:
            await save_schedule(session, "s", "desk.other", every_s=60, payload={"v": 2})
        updated = await stored(database, "s")
        assert (updated.job_type, updated.payload) == ("desk.other", {"v": 2})
        assert updated.next_run_at == created.next_run_at
        async with database.transaction() as session:
            await save_schedule(session, "s", "desk.other", cron="0 3 * * *")
        rescheduled = await stored(database, "s")
        assert (rescheduled.interval_s, rescheduled.cron) == (None, "0 3 * * *")
        assert (rescheduled.next_run_at.hour, rescheduled.next_run_at.minute) == (3, 0)

    async def test_refuses_a_bad_timing(self, database: Database) -> None:
        async with database.transaction() as session:
            with pytest.raises(InvalidTiming):
                await save_schedule(session, "s", "desk.job", every_s=60, cron="* * * * *")

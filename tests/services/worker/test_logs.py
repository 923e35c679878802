"""The worker's log: nothing while idle, one INFO line per job done."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.streams import JobQueue
from tests.services.worker.conftest import Fleet, eventually
from tests.services.worker.test_reliability import effects
from tests.support.logs import LogWatch

pytestmark = pytest.mark.e2e


class TestWorkerLog:
    async def test_idle_it_is_quiet_and_each_job_is_one_info_line(
        self, fleet: Fleet, db: AsyncEngine, wredis: Redis
    ) -> None:
        (worker,) = fleet.start(1)
        assert worker.log_path is not None
        log = LogWatch.start(worker.log_path)
        await asyncio.sleep(3)
        assert log.messages("info") == []

        for n in range(3):
            await JobQueue(wredis).enqueue("test.effect", {"key": f"log-{n}"})

        async def all_done() -> bool:
            return len(await effects(db, "log-")) == 3

        await eventually(all_done, 10, fleet.log_tail)
        await eventually(lambda: len(log.messages("info")) >= 3, 10, fleet.log_tail)
        await asyncio.sleep(0.5)  # anything else it would say about these jobs
        lines = log.messages("info")
        assert len(lines) == 3, lines
        assert all(" (test.effect) done in " in line for line in lines)

"""Jobs for the worker's tests: a worker loads them with WORKER_JOB_MODULES=tests.support.jobs.

Effects go to ``job_effects`` (made by ``EFFECTS_DDL``, not by the migrations): one row
per key, the unique key that makes the effect idempotent, and ``runs`` counting the
runs that committed, so a test sees a job that ran to the end twice. Starts are
counted in Redis (``started_key``) when the payload asks, so a test also sees a run
that never committed (its process was killed mid-job).
"""

from __future__ import annotations

import asyncio
import os

from sqlalchemy import text

from concierge.streams import Job
from concierge.worker.jobs import WorkerContext, WorkerJobs

EFFECTS_DDL = """
CREATE TABLE IF NOT EXISTS job_effects (
    key text PRIMARY KEY,
    job_id text NOT NULL,
    delivery integer NOT NULL,
    pid integer NOT NULL,
    runs integer NOT NULL DEFAULT 1,
    done_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
"""

_RECORD = text(
    "INSERT INTO job_effects (key, job_id, delivery, pid) VALUES (:key, :job_id, :delivery, :pid) "
    "ON CONFLICT (key) DO UPDATE SET runs = job_effects.runs + 1"
)

POISON_EXIT_CODE = 13

jobs = WorkerJobs()


def started_key(key: str) -> str:
    return f"test:started:{key}"


async def record_effect(ctx: WorkerContext, job: Job, key: str) -> None:
    async with ctx.database.transaction() as session:
        params = {"key": key, "job_id": job.id, "delivery": job.delivery, "pid": os.getpid()}
        await session.execute(_RECORD, params)


@jobs.handler("test.effect")
async def effect(job: Job, ctx: WorkerContext) -> None:
    """Payload: ``key``; ``sleep_s`` makes a long job; ``track`` counts starts in Redis."""
    key = job.payload["key"]
    if job.payload.get("track"):
        await ctx.redis.incr(started_key(key))
    await asyncio.sleep(float(job.payload.get("sleep_s", 0)))
    await record_effect(ctx, job, key)


@jobs.handler("test.tick")
async def tick(job: Job, ctx: WorkerContext) -> None:
    """Fired by a schedule: the effect's key is the tick's dedup key."""
    assert job.dedup_key is not None
    await record_effect(ctx, job, job.dedup_key)


@jobs.handler("test.poison")
async def poison(job: Job, ctx: WorkerContext) -> None:
    """Kills the process running it, every time."""
    await ctx.redis.incr(started_key(job.payload["key"]))
    os._exit(POISON_EXIT_CODE)

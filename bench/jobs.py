"""Job throughput of the streams layer, next to raw Redis Streams commands.

Starts an embedded Redis (or uses --redis-url), then, in one process and one event
loop, moves the same number of no-op jobs through:

- baseline: raw XADD per job, then XREADGROUP (COUNT 64) and one XACK per entry, the
  least a hand-written at-least-once consumer does;
- jobs: ``JobQueue.enqueue`` per job, then a ``JobWorker`` (its default concurrency,
  heartbeats, retry mover and gauges running) acknowledging each job with XACK+XDEL.

Each side is timed from the first enqueue to the last acknowledgement; jobs/s is the
number of jobs over that time. The two run alternately, best of --rounds.

    python bench/jobs.py [--quick] [--jobs 20000] [--rounds 3] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from redis.asyncio import Redis

from concierge.embedded import EmbeddedRedis
from concierge.streams import Job, JobQueue, JobWorker, StreamGroup, WorkerOptions

READ_COUNT = 64


async def raw_round(redis: Redis, jobs: int) -> float:
    stream, group = "bench:raw", "g"
    await redis.delete(stream)
    await redis.xgroup_create(stream, group, id="0", mkstream=True)
    started = time.perf_counter()
    for n in range(jobs):
        await redis.xadd(stream, {"type": "noop", "payload": "{}", "n": str(n)})
    acked = 0
    while acked < jobs:
        reply = await redis.xreadgroup(group, "c", {stream: ">"}, count=READ_COUNT, block=1000)
        for entry_id, _ in reply[0][1] if reply else []:
            await redis.xack(stream, group, entry_id)
            acked += 1
    elapsed = time.perf_counter() - started
    await redis.delete(stream)
    return elapsed


async def jobs_round(redis: Redis, jobs: int) -> float:
    stream = "bench:jobs"
    await redis.delete(stream, f"{stream}:dead", f"{stream}:delayed")
    done = asyncio.Event()
    count = 0

    async def noop(job: Job) -> None:
        nonlocal count
        count += 1
        if count == jobs:
            done.set()

    queue = JobQueue(redis, stream)
    group = StreamGroup(redis, stream, "workers", "bench")
    await group.ensure()
    worker = JobWorker(queue, group, noop, WorkerOptions())
    started = time.perf_counter()
    for _ in range(jobs):
        await queue.enqueue("noop")
    worker.start()
    await done.wait()
    await worker.shutdown(5)  # returns once the last jobs are acknowledged
    elapsed = time.perf_counter() - started
    assert await redis.xlen(stream) == 0, "every job is acknowledged and deleted"
    await redis.delete(stream)
    return elapsed


async def measure(redis_url: str, jobs: int, rounds: int) -> tuple[float, float]:
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        await raw_round(redis, min(jobs, 2000))  # warm up both paths
        await jobs_round(redis, min(jobs, 2000))
        raw, ours = [], []
        for _ in range(rounds):
            raw.append(await raw_round(redis, jobs))
            ours.append(await jobs_round(redis, jobs))
    finally:
        await redis.aclose()
    return jobs / min(ours), jobs / min(raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--jobs", type=int, default=20_000, help="no-op jobs per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side (best counts)")
    parser.add_argument("--redis-url", help="use this Redis instead of an embedded one")
    args = parser.parse_args()
    jobs, rounds = (3_000, 2) if args.quick else (args.jobs, args.rounds)
    with tempfile.TemporaryDirectory(prefix="ccb-", dir="/tmp") as root:
        server = None if args.redis_url else EmbeddedRedis(Path(root) / "redis").start()
        url = args.redis_url or (server.url if server else "")
        try:
            ours, raw = asyncio.run(measure(url, jobs, rounds))
        finally:
            if server is not None:
                server.stop()
    print(f"{jobs} no-op jobs per round, best of {rounds}")
    print(f"streams layer (enqueue + JobWorker)     {ours:9.0f} jobs/s")
    print(f"raw XADD + XREADGROUP + XACK            {raw:9.0f} jobs/s")
    print(f"RESULT jobs_per_s={ours:.0f} baseline={raw:.0f} ratio={ours / raw:.2f} jobs={jobs}")


if __name__ == "__main__":
    main()

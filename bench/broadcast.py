"""Notification throughput of the real relay, next to Telegram's 30 messages/s.

Starts embedded Postgres and Redis, then the sandbox (enforcing Telegram's limits:
30 messages/s per bot, about 1/s per private chat), api and bot as real processes.
Creates the sandbox chats, queues the notifications through api's
``POST /api/v1/notifications`` (several per chat, chat after chat: the hardest order
for per-chat pacing) and waits until the sandbox has received them. Then reads
every chat's history to count what was lost, duplicated or reordered, and the
sandbox's statistics for 429s and the busiest chat's peak rate.

    python bench/broadcast.py [--quick] [--notifications 10000] [--chats 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from concierge.bot.settings import SANDBOX_BOT_TOKEN
from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis
from concierge.embedded.stack import SERVICE_TOKEN, Stack

TELEGRAM_RATE = 30.0
FIRST_CHAT = 200_000
BOT_ID = SANDBOX_BOT_TOKEN.split(":")[0]
QUEUEING_CONCURRENCY = 8
READING_CONCURRENCY = 16
STALL_S = 60.0  # no progress for this long: give up and count the rest as lost


@dataclass
class Run:
    notifications: int
    chats: int
    started: float = 0.0
    finished: float = 0.0
    delivered: int = 0
    stats_before: dict[str, Any] = field(default_factory=dict)
    stats_after: dict[str, Any] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    duplicates: int = 0
    out_of_order: int = 0

    def plan(self) -> list[tuple[int, int]]:
        """(chat, n) for every notification, chat after chat."""
        per_chat, extra = divmod(self.notifications, self.chats)
        return [
            (FIRST_CHAT + c, n)
            for c in range(self.chats)
            for n in range(per_chat + (1 if c < extra else 0))
        ]


def body(chat: int, n: int) -> dict[str, Any]:
    return {
        "dedup_key": f"bench:{chat}:{n}",
        "chat_id": chat,
        "kind": "bench.broadcast",
        "payload": {"text": f"bench {chat} {n}"},
    }


async def bot_stats(sandbox: httpx.AsyncClient) -> dict[str, Any]:
    response = await sandbox.get("/sandbox/stats")
    response.raise_for_status()
    return dict(response.json()["bots"].get(BOT_ID, {}))


async def queue_all(api: httpx.AsyncClient, plan: list[tuple[int, int]]) -> None:
    """Each worker queues whole chats, one notification after another (their order is the
    order the chat must see); several chats are queued at once."""
    by_chat: dict[int, list[int]] = {}
    for chat, n in plan:
        by_chat.setdefault(chat, []).append(n)
    pending = iter(by_chat.items())

    async def worker() -> None:
        for chat, numbers in pending:
            for n in numbers:
                response = await api.post("/api/v1/notifications", json=body(chat, n))
                if response.status_code not in (200, 201):
                    raise RuntimeError(f"queueing failed: {response.status_code} {response.text}")

    await asyncio.gather(*(worker() for _ in range(QUEUEING_CONCURRENCY)))


async def wait_delivered(sandbox: httpx.AsyncClient, run: Run) -> None:
    """Poll the sandbox until every notification is there (or progress stops).

    Reading the statistics costs the sandbox a little, so it is read once a second,
    and often only in the last second or so, to catch the end precisely.
    """
    base = run.stats_before.get("messages_sent", 0)
    last_progress, last_count = time.monotonic(), -1
    while True:
        count = (await bot_stats(sandbox)).get("messages_sent", 0) - base
        now = time.monotonic()
        if count != last_count:
            last_progress, last_count = now, count
            run.delivered, run.finished = count, now
        if count >= run.notifications or now - last_progress > STALL_S:
            return
        near_the_end = run.notifications - count <= TELEGRAM_RATE
        await asyncio.sleep(0.02 if near_the_end else 1.0)


async def check_histories(sandbox: httpx.AsyncClient, run: Run) -> None:
    """Every chat's history against what it should hold: lost, duplicated, reordered."""
    expected: dict[int, list[str]] = {}
    for chat, n in run.plan():
        expected.setdefault(chat, []).append(f"bench {chat} {n}")
    chats = iter(expected)

    async def worker() -> None:
        for chat in chats:
            response = await sandbox.get(f"/sandbox/chats/{chat}/messages")
            response.raise_for_status()
            got = [m["text"] for m in response.json() if m["from"] == "bot"]
            counts = Counter(got)
            run.lost += sum(1 for t in expected[chat] if counts[t] == 0)
            run.duplicates += sum(c - 1 for c in counts.values() if c > 1)
            firsts = list(dict.fromkeys(got))
            run.out_of_order += int(firsts != [t for t in expected[chat] if t in counts])

    await asyncio.gather(*(worker() for _ in range(READING_CONCURRENCY)))


async def outbox_statuses(database_url: str) -> dict[str, int]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT status, count(*) FROM outbox GROUP BY status"))
            return {status: count for status, count in rows}
    finally:
        await engine.dispose()


async def measure(stack: Stack, run: Run) -> None:
    headers = {SERVICE_TOKEN_HEADER: SERVICE_TOKEN}
    limits = httpx.Limits(max_connections=READING_CONCURRENCY)
    async with (
        httpx.AsyncClient(base_url=stack.url("api"), headers=headers, timeout=30) as api,
        httpx.AsyncClient(base_url=stack.url("sandbox"), timeout=30, limits=limits) as sandbox,
    ):
        ids = [FIRST_CHAT + c for c in range(run.chats)]
        (await sandbox.post("/sandbox/users", json={"ids": ids})).raise_for_status()
        run.stats_before = await bot_stats(sandbox)
        run.started = time.monotonic()
        queueing = asyncio.create_task(queue_all(api, run.plan()))
        await wait_delivered(sandbox, run)
        await queueing
        await asyncio.sleep(1.0)  # let the last reports land before reading the outbox
        run.stats_after = await bot_stats(sandbox)
        await check_histories(sandbox, run)
    run.statuses = await outbox_statuses(stack.database_url)


def start_stack(root: Path) -> tuple[EmbeddedPostgres, EmbeddedRedis, Stack]:
    postgres = EmbeddedPostgres(root / "pg").start()
    redis = EmbeddedRedis(root / "redis").start()
    # No embedding model in this bench: the worker must not load one in the background.
    quiet = {"LOG_LEVEL": "WARNING", "WORKER_EMBEDDING_PRELOAD": "false"}
    stack = Stack(postgres.url("bench"), redis.url, root / "logs", quiet)
    postgres.create_database("bench")
    subprocess.run([sys.executable, "-m", "concierge.api.migrate"],
                   env={**os.environ, **stack.env()}, check=True)  # fmt: skip
    stack.start()
    return postgres, redis, stack


def report(run: Run) -> None:
    elapsed = run.finished - run.started
    rate = run.delivered / elapsed if elapsed > 0 else 0.0
    after, before = run.stats_after, run.stats_before
    refused = after["too_many_requests"]["total"] - before["too_many_requests"]["total"]
    bench_chats = {str(FIRST_CHAT + c) for c in range(run.chats)}
    peaks = [v for chat, v in after["max_per_second"].items() if chat in bench_chats]
    max_chat_rate = max(peaks, default=0)
    print(f"{run.notifications} notifications to {run.chats} chats "
          f"({run.notifications / run.chats:.1f} each, queued chat after chat)")  # fmt: skip
    print(f"delivered {run.delivered} in {elapsed:.1f} s: {rate:.2f} msg/s "
          f"= {rate / TELEGRAM_RATE:.3f} of Telegram's {TELEGRAM_RATE:.0f}/s")  # fmt: skip
    print(
        f"429s: {refused} {dict(after['too_many_requests'])}; "
        f"peak overall: {after['max_per_second_overall']}/s; busiest chat: {max_chat_rate}/s"
    )
    print(f"lost: {run.lost}  duplicates: {run.duplicates}  chats out of order: "
          f"{run.out_of_order}  outbox: {run.statuses}")  # fmt: skip
    print(
        f"RESULT broadcast_msgs_per_s={rate:.2f} baseline={TELEGRAM_RATE:.0f} "
        f"ratio={rate / TELEGRAM_RATE:.3f} too_many_requests={refused} lost={run.lost} "
        f"max_chat_rate={max_chat_rate} duplicates={run.duplicates} "
        f"out_of_order={run.out_of_order} target_ratio=0.95"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2_000)
    args = parser.parse_args()
    run = Run(1_000, 250) if args.quick else Run(args.notifications, args.chats)
    with tempfile.TemporaryDirectory(prefix="ccb-", dir="/tmp") as root:
        postgres, redis, stack = start_stack(Path(root))
        try:
            asyncio.run(measure(stack, run))
        finally:
            stack.stop()
            redis.stop()
            postgres.stop()
    report(run)


if __name__ == "__main__":
    main()

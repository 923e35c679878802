"""The guest assistant's reply time without an LLM: a guest's message in the Avito
stand-in → the webhook → the gateway → the api (stored) → the worker's job → the api's
answer (check-in extraction, an FAQ / house-rules match) → the gateway → the reply in
the guest's chat in the stand-in. Target: p95 ≤ 1.5 s.

Starts embedded Postgres and Redis, the sandbox, the api, the Avito gateway and the
worker as real processes; a landlord connects an account, imports its item, writes the
house rules and turns auto replies on; guests (each a new chat) then ask about parking
at a fixed rate, and the bench polls each chat until the reply is there.

    python bench/avito_guest.py [--quick] [--rate 2] [--messages 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from concierge.embedded.stack import ADMIN_ID, Stack

sys.path.insert(0, str(Path(__file__).parent / "support"))
from stacks import migrated_stack

AVITO_USER = 9_100_002
CLIENT = {"client_id": "bench-guest-client", "client_secret": "bench-secret-0123456789"}
RULES = "Парковка бесплатная во дворе.\nКурить нельзя.\nТишина после 23:00."
QUESTIONS = ("Здравствуйте! Есть ли парковка?", "А курить можно?", "Во сколько тишина?")


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def setup(stack: Stack) -> int:
    """The landlord's account, item, rules and auto mode; the stand-in's item id."""
    sandbox = stack.url("sandbox")
    account = {"user_id": AVITO_USER, "name": "Bench", **CLIENT}
    httpx.post(f"{sandbox}/sandbox/avito/accounts", json=account).raise_for_status()
    ad = {"user_id": AVITO_USER, "title": "Студия", "address": "Сочи"}
    item = httpx.post(f"{sandbox}/sandbox/avito/items", json=ad)
    item.raise_for_status()
    headers = {"X-Service-Token": stack.service_token, "X-Acting-User": str(ADMIN_ID)}
    with httpx.Client(base_url=stack.url("api"), headers=headers, timeout=30) as api:
        user = {"telegram_id": ADMIN_ID, "first_name": "Bench", "language_code": "ru"}
        api.post("/api/v1/users", json=user).raise_for_status()
        connected = api.post("/api/v1/rentals/accounts", json=CLIENT)
        connected.raise_for_status()
        account_id = connected.json()["id"]
        api.post(f"/api/v1/rentals/accounts/{account_id}/sync").raise_for_status()
        items = api.get(f"/api/v1/rentals/accounts/{account_id}/items").json()
        change = {"house_rules": RULES, "mode": "auto"}
        api.patch(f"/api/v1/rentals/items/{items[0]['id']}/guest", json=change).raise_for_status()
    return int(item.json()["id"])


async def one(sandbox: httpx.AsyncClient, item: int, n: int, wait_s: float) -> float | None:
    started = time.perf_counter()
    question = {"item_id": item, "text": QUESTIONS[n % len(QUESTIONS)]}
    wrote = await sandbox.post(f"/sandbox/avito/guests/{700_000 + n}/messages", json=question)
    chat = wrote.json()["chat_id"]
    while time.perf_counter() - started < wait_s:
        read = (await sandbox.get(f"/sandbox/avito/chats/{chat}")).json()
        if any(m["author_id"] == AVITO_USER for m in read["messages"]):
            return time.perf_counter() - started
        await asyncio.sleep(0.02)
    return None


async def measure(url: str, item: int, rate: float, count: int) -> tuple[list[float], int]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as sandbox:
        tasks = []
        for n in range(count):
            tasks.append(asyncio.create_task(one(sandbox, item, n, 15.0)))
            await asyncio.sleep(1 / rate)
        results = await asyncio.gather(*tasks)
    times = [r for r in results if r is not None]
    return times, count - len(times)


def run(rate: float, count: int, root: Path) -> None:
    with migrated_stack(root, {"LOG_LEVEL": "WARNING", "API_LLM_PROVIDER": "none"}) as (_, stack):
        stack.start("sandbox", "api", "avito", "worker")
        item = setup(stack)
        asyncio.run(measure(stack.url("sandbox"), item, rate, 3))  # warm-up
        times, lost = asyncio.run(measure(stack.url("sandbox"), item, rate, count))
    ms = [t * 1000 for t in times]
    p50, p95 = percentile(ms, 50), percentile(ms, 95)
    print(f"{count} guest messages at {rate:g}/s: p50={p50:.0f} ms p95={p95:.0f} ms "
          f"max={max(ms):.0f} ms unanswered={lost}")  # fmt: skip
    print(f"RESULT avito_guest_reply_p95_ms={p95:.0f} p50_ms={p50:.0f} unanswered={lost} "
          f"n={count} target_p95_ms=1500")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--rate", type=float, default=2.0, help="guest messages per second")
    parser.add_argument("--messages", type=int, default=60)
    args = parser.parse_args()
    count = 20 if args.quick else args.messages
    with tempfile.TemporaryDirectory(prefix="cca-", dir="/tmp") as root:
        run(args.rate, count, Path(root))


if __name__ == "__main__":
    main()

"""Webhook acknowledgement latency of the bot, next to a bare ASGI endpoint.

Starts embedded Postgres and Redis, the sandbox, api and bot as real processes,
then sends Telegram updates (text messages from many users, as Telegram would)
to the bot's webhook at a fixed rate, open loop, and measures the time to the
200. The bot's consumer handles the updates meanwhile, as in production. The same
load is then sent to a bare ASGI app under the same uvicorn settings.

    python bench/webhook.py [--quick] [--rate 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from concierge.bot.main import SECRET_HEADER
from concierge.bot.settings import WEBHOOK_PATH
from concierge.embedded.stack import WEBHOOK_SECRET

# helpers, not benchmarks (make bench runs bench/*.py)
sys.path.insert(0, str(Path(__file__).parent / "support"))
from loadgen import measure, p95_ratio, print_figures
from stacks import bare_asgi, migrated_stack

USERS = 500
FIRST_UPDATE_ID = 3_000_000_000


def update(n: int) -> dict:
    user_id = 100_000 + n % USERS
    person = {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "en"}
    return {
        "update_id": FIRST_UPDATE_ID + n,
        "message": {
            "message_id": n + 1,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Bench"},
            "from": person,
            "text": "/help",
        },
    }


def run(rate: float, seconds: float, root: Path) -> None:
    # No embedding model in this bench: the worker must not load one in the background.
    quiet = {"LOG_LEVEL": "WARNING", "WORKER_EMBEDDING_PRELOAD": "false"}
    headers = {SECRET_HEADER: WEBHOOK_SECRET}

    def body(n: int) -> bytes:
        return orjson.dumps(update(n))

    with migrated_stack(root, quiet) as (_, stack), bare_asgi() as bare:
        stack.start()
        ids = [100_000 + i for i in range(USERS)]
        httpx.post(f"{stack.url('sandbox')}/sandbox/users", json={"ids": ids}).raise_for_status()
        # The baseline first, on a quiet machine; the bot's figure then includes its own
        # consumer handling the updates it has acknowledged, as in production.
        baseline = asyncio.run(measure(bare, body, headers, rate, seconds))
        url = f"{stack.url('bot')}{WEBHOOK_PATH}"
        bot = asyncio.run(measure(url, body, headers, rate, seconds))
    report(rate, seconds, bot, baseline)


def report(rate: float, seconds: float, bot: dict[str, float], baseline: dict[str, float]) -> None:
    print(f"rate={rate:.0f} req/s for {seconds:.0f} s, {int(bot['n'])} updates")
    print_figures({"bot webhook": bot, "bare ASGI": baseline})
    ratio = p95_ratio(bot, baseline)
    print(
        f"RESULT webhook_ack_p95_ms={bot['p95']:.2f} baseline={baseline['p95']:.2f} "
        f"ratio={ratio:.2f} p50_ms={bot['p50']:.2f} rate={rate:.0f} "
        f"errors={int(bot['errors'])} target_p95_ms=10"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--rate", type=float, default=200.0, help="updates per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured duration")
    args = parser.parse_args()
    seconds = 8.0 if args.quick else args.seconds
    with tempfile.TemporaryDirectory(prefix="ccb-", dir="/tmp") as root:
        run(args.rate, seconds, Path(root))


if __name__ == "__main__":
    main()

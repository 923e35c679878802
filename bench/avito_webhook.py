"""Acknowledgement latency of the Avito gateway's messenger webhook, next to a bare ASGI
endpoint.

Starts embedded Postgres and Redis, the sandbox (its Avito stand-in), the api and the
Avito gateway as real processes; a landlord connects an Avito account through the api,
then guests' message events (many chats, as Avito would send them) are posted to the
account's webhook at a fixed rate, open loop, and the time to the 200 is measured. The
gateway's forwarder hands the events to the api meanwhile, as in production; at the end
the bench checks every event reached Postgres. The same load then goes to a bare ASGI
app under the same uvicorn settings.

    python bench/avito_webhook.py [--quick] [--rate 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from concierge.embedded.stack import ADMIN_ID, Stack

sys.path.insert(0, str(Path(__file__).parent / "support"))
from loadgen import measure, p95_ratio, print_figures
from stacks import bare_asgi, migrated_stack

AVITO_USER = 9_100_001
CHATS = 500
CLIENT = {"client_id": "bench-client", "client_secret": "bench-secret-0123456789"}


def event(n: int) -> dict:
    created = int(time.time())
    return {
        "id": f"bench-ev-{n}",
        "version": "v3.0.0",
        "timestamp": created,
        "payload": {
            "type": "message",
            "value": {
                "id": f"bench-msg-{n}",
                "chat_id": f"u2i-bench-{n % CHATS}",
                "chat_type": "u2i",
                "user_id": AVITO_USER,
                "author_id": 500_000 + n % CHATS,
                "item_id": 3_100_001,
                "created": created,
                "type": "text",
                "content": {"text": "Здравствуйте! Есть ли парковка и во сколько заселение?"},
            },
        },
    }


def body(n: int) -> bytes:
    return orjson.dumps(event(n))


def connect(stack: Stack) -> str:
    """A landlord connects the stand-in's account; the account's webhook URL."""
    sandbox = stack.url("sandbox")
    account = {"user_id": AVITO_USER, "name": "Bench", **CLIENT}
    httpx.post(f"{sandbox}/sandbox/avito/accounts", json=account).raise_for_status()
    headers = {"X-Service-Token": stack.service_token, "X-Acting-User": str(ADMIN_ID)}
    with httpx.Client(base_url=stack.url("api"), headers=headers, timeout=30) as api:
        user = {"telegram_id": ADMIN_ID, "first_name": "Bench", "language_code": "ru"}
        api.post("/api/v1/users", json=user).raise_for_status()
        connected = api.post("/api/v1/rentals/accounts", json=CLIENT)
        connected.raise_for_status()
        account_id = connected.json()["id"]
    secret = stack.env()["AVITO_WEBHOOK_SECRET"]
    digest = hmac.new(secret.encode(), f"avito-webhook:{account_id}".encode(), hashlib.sha256)
    return f"{stack.url('avito')}/avito/webhook/{account_id}.{digest.hexdigest()[:40]}"


def stored(database_url: str) -> int:
    script = (
        "import asyncio, sys\n"
        "from sqlalchemy import text\n"
        "from concierge.db import Database\n"
        "async def main():\n"
        "    db = Database(sys.argv[1])\n"
        "    async with db.transaction() as s:\n"
        "        print(await s.scalar(text('select count(*) from rentals_messages')))\n"
        "    await db.dispose()\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run([sys.executable, "-c", script, database_url],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return int(out.stdout.strip() or 0)


def run(rate: float, seconds: float, root: Path) -> None:
    with migrated_stack(root, {"LOG_LEVEL": "WARNING"}) as (postgres, stack), bare_asgi() as bare:
        stack.start("sandbox", "api", "avito")
        hook = connect(stack)
        baseline = asyncio.run(measure(bare, body, {}, rate, seconds))
        gateway = asyncio.run(measure(hook, body, {}, rate, seconds))
        expected = int(gateway["n"]) + int(rate * min(2.0, seconds))
        deadline = time.monotonic() + 60
        while (found := stored(postgres.url("bench"))) < expected and time.monotonic() < deadline:
            time.sleep(1)
    report(rate, seconds, gateway, baseline, found, expected)


def report(
    rate: float,
    seconds: float,
    gateway: dict[str, float],
    baseline: dict[str, float],
    found: int,
    expected: int,
) -> None:
    print(f"rate={rate:.0f} events/s for {seconds:.0f} s, {int(gateway['n'])} events")
    print_figures({"avito webhook": gateway, "bare ASGI": baseline})
    print(f"guest messages in Postgres: {found} of {expected} sent (warm-up included)")
    ratio = p95_ratio(gateway, baseline)
    print(
        f"RESULT avito_webhook_ack_p95_ms={gateway['p95']:.2f} baseline={baseline['p95']:.2f} "
        f"ratio={ratio:.2f} p50_ms={gateway['p50']:.2f} rate={rate:.0f} "
        f"errors={int(gateway['errors'])} stored={found}/{expected} target_p95_ms=20"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured duration")
    args = parser.parse_args()
    seconds = 8.0 if args.quick else args.seconds
    with tempfile.TemporaryDirectory(prefix="cca-", dir="/tmp") as root:
        run(args.rate, seconds, Path(root))


if __name__ == "__main__":
    main()

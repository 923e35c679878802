"""Locust scenarios for bench/load.py (run headless by it; not a benchmark by itself).

    ApiUser      the Mini App and the bot on the api: search (service token), browsing
                 listings (a signed-in user), signing in (Telegram initData)
    WebhookUser  Telegram delivering updates to the bot's webhook
    BareUser     the bare ASGI endpoint (bench/support/bare_asgi.py): the baseline

bench/load.py passes what they need in BENCH_* environment variables.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time

import httpx
from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

SERVICE_TOKEN = os.environ.get("BENCH_SERVICE_TOKEN", "")
SANDBOX_URL = os.environ.get("BENCH_SANDBOX_URL", "")
WEBHOOK_SECRET = os.environ.get("BENCH_WEBHOOK_SECRET", "")
WORDS = os.environ.get("BENCH_WORDS", "новости,город,market,bike,phone").split(",")
USERS = [int(n) for n in os.environ.get("BENCH_USERS", "1,2,3").split(",")]
# No think time: each simulated user sends its next request when the last is answered
# (closed loop); the number of users sets the concurrency.
NO_WAIT = between(0, 0)
_update_ids = itertools.count(4_000_000_000 + random.randrange(10**8))


def init_data(telegram_id: int, api_base: str) -> str:
    """initData the sandbox signs for its bot, as the Mini App gets it from Telegram."""
    response = httpx.get(
        f"{SANDBOX_URL}/sandbox/users/{telegram_id}/webapp",
        params={"url": f"{api_base}/app/", "first_name": "Load"},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["init_data"])


class ApiUser(FastHttpUser):
    wait_time = NO_WAIT

    def on_start(self) -> None:
        self.telegram_id = random.choice(USERS)
        self.init_data = init_data(self.telegram_id, str(self.host))
        self.bearer = self.sign_in()

    def sign_in(self) -> str:
        with self.client.post(
            "/api/v1/auth/telegram",
            headers={"Authorization": f"tma {self.init_data}"},
            name="POST /api/v1/auth/telegram",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"sign-in: {response.status_code}")
                return ""
            return str(response.json()["access_token"])

    @task(3)
    def search(self) -> None:
        self.client.get(
            "/api/v1/search",
            params={"q": random.choice(WORDS)},
            headers={"X-Service-Token": SERVICE_TOKEN, "X-Acting-User": str(self.telegram_id)},
            name="GET /api/v1/search",
        )

    @task(3)
    def listings(self) -> None:
        self.client.get(
            "/api/v1/listings",
            params={"limit": 20},
            headers={"Authorization": f"Bearer {self.bearer}"},
            name="GET /api/v1/listings",
        )

    @task(1)
    def signs_in(self) -> None:
        self.sign_in()


class WebhookUser(FastHttpUser):
    wait_time = NO_WAIT

    @task
    def update(self) -> None:
        n = next(_update_ids)
        user = 100_000 + n % 500
        body = {
            "update_id": n,
            "message": {
                "message_id": n % 10**9,
                "date": int(time.time()),
                "chat": {"id": user, "type": "private", "first_name": "Load"},
                "from": {"id": user, "is_bot": False, "first_name": "Load", "language_code": "en"},
                "text": "/help",
            },
        }
        self.client.post(
            "/tg/webhook",
            data=json.dumps(body),
            headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
            },
            name="POST /tg/webhook",
        )


class BareUser(FastHttpUser):
    wait_time = NO_WAIT

    @task
    def bare(self) -> None:
        self.client.get("/", name="GET / (bare ASGI)")

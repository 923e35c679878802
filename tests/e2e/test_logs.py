"""What a person reads in the services' logs: routine polling and health checks stay at
DEBUG, and each handled update is one INFO line in the bot's log."""

from __future__ import annotations

import asyncio
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.logs import LogWatch
from tests.support.sandbox import SandboxUser
from tests.support.stack import Stack

CLAIMS = "/api/v1/notifications/claims"
CLAIMS_ROUTE = "/notifications/claims"  # the route label: FastAPI leaves the prefix out


def claims_answered(stack: Stack) -> float:
    """How many claim polls the api has answered (its request counter)."""
    text = httpx.get(f"{stack.url('api')}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_requests_total" and sample.labels.get("route") == CLAIMS_ROUTE
    )


class TestLogs:
    async def test_an_idle_stack_logs_no_claim_polls_or_health_checks(self, stack: Stack) -> None:
        assert stack.logs is not None
        watches = {s: LogWatch.start(stack.logs / f"{s}.log") for s in stack.processes}
        polls_before = claims_answered(stack)
        for _ in range(3):
            for service in stack.processes:
                httpx.get(f"{stack.url(service)}/health", timeout=5)
                httpx.get(f"{stack.url(service)}/ready", timeout=5)
        await asyncio.sleep(3)
        assert claims_answered(stack) - polls_before >= 4  # the relay did poll meanwhile
        for service, watch in watches.items():
            said = watch.messages("info")
            assert not [line for line in said if CLAIMS in line], service
            assert not [line for line in said if "/health" in line or "/ready" in line], service

    async def test_each_handled_update_is_one_info_line(
        self, stack: Stack, user: SandboxUser
    ) -> None:
        assert stack.logs is not None
        bot = LogWatch.start(stack.logs / "bot.log")
        sent = await user.send("/help")
        await user.wait_for_reply()
        deadline = time.monotonic() + 10
        while not bot.messages("info") and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # anything else it would say about this update
        (line,) = bot.messages("info")
        assert line.startswith(f"update {sent['update_id']} (message /help): done in ")

"""Dashboards cannot rot: every metric a Grafana panel or a Prometheus alert rule uses
(infra/prometheus) is exported by some service's /metrics in the running stack."""

from __future__ import annotations

import httpx
import pytest

from tests.support.observability import PROMETHEUS_OWN, exported_series, used_metrics
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

SERVICES = ("api", "bot", "worker", "sandbox")


async def test_every_metric_in_a_dashboard_or_alert_is_exported(stack: Stack) -> None:
    exported: dict[str, set[str]] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for service in SERVICES:
            answer = await client.get(f"{stack.url(service)}/metrics")
            assert answer.status_code == 200, service
            exported[service] = exported_series(answer.text)
    everywhere = set().union(*exported.values())
    used = used_metrics()
    missing = {
        name: sorted(where)
        for name, where in used.items()
        if name not in everywhere and name not in PROMETHEUS_OWN
    }
    assert missing == {}
    # The check sees what it must: the api's HTTP metrics, the worker's queues, the bot's.
    assert "http_request_duration_seconds_bucket" in exported["api"]
    assert "jobs_oldest_age_seconds" in exported["worker"]
    assert "bot_telegram_retry_after_total" in exported["bot"]
    assert len(used) >= 20

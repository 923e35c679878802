"""infra/prometheus: the dashboards and alert rules are well formed and wired into
compose; the PromQL reader the dashboards' metric check relies on reads what it must
(tests/e2e/test_observability.py checks the metrics against the running services)."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.support.observability import (
    ALERTS,
    DASHBOARDS,
    PROMETHEUS,
    ROOT,
    alert_rules,
    exported_series,
    metric_names,
    used_metrics,
)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("max by (stream) (jobs_oldest_age_seconds) > 300", {"jobs_oldest_age_seconds"}),
        (
            "histogram_quantile(0.95, sum by (service, route, le) (rate("
            'http_request_duration_seconds_bucket{route!~"/health|/ready"}[$__rate_interval])))',
            {"http_request_duration_seconds_bucket"},
        ),
        (
            'sum(increase(a_total{outcome="stored"}[10m])) > 0 and (sum(b_total) or vector(0))'
            " == 0",
            {"a_total", "b_total"},
        ),
        (
            "sum(rate(x_total[5m])) > 0.9 * max(budget_per_second) offset 1h",
            {"x_total", "budget_per_second"},
        ),
        ('up{job=~"api|bot"} == 0', {"up"}),
        ('label_replace(q, "dst", "$1", "src", "(.*)")', {"q"}),
        ("30", set()),
    ],
)
def test_metric_names_read_from_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_exported_series_include_every_form_of_a_family() -> None:
    text = (
        "# HELP jobs_total Jobs\n# TYPE jobs_total counter\n"
        "# HELP wait_seconds Waits\n# TYPE wait_seconds histogram\n"
        "# HELP depth Depth\n# TYPE depth gauge\ndepth 3.0\n"
    )
    assert exported_series(text) == {
        "jobs", "jobs_total", "jobs_created", "wait_seconds", "wait_seconds_bucket",
        "wait_seconds_sum", "wait_seconds_count", "depth",
    }  # fmt: skip


def test_the_autoscaler_metrics_are_checked_too() -> None:
    used = used_metrics()
    assert "prometheus-adapter.yaml: concierge_jobs_backlog" in used["jobs_queue_length"]
    assert "prometheus-adapter.yaml: concierge_jobs_lag_seconds" in used["jobs_oldest_age_seconds"]


def test_the_dashboards_cover_what_operators_need() -> None:
    used = used_metrics()
    needed = {
        "http_requests_total", "http_request_duration_seconds_bucket", "jobs_queue_length",
        "jobs_oldest_age_seconds", "jobs_dead", "bot_telegram_messages_total",
        "bot_telegram_send_budget_per_second", "bot_telegram_retry_after_total",
        "ingest_checks_total", "ingest_documents_total", "bot_updates_received_total",
        "notify_outbox_waiting", "notify_outbox_oldest_waiting_seconds",
        "ingest_sources_failing_for_a_day",
    }  # fmt: skip
    in_dashboards = {
        name for name, where in used.items() if any(w.endswith(".json") for w in where)
    }
    assert needed <= in_dashboards, needed - in_dashboards


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_each_dashboard_is_well_formed(path: object) -> None:
    dashboard = json.loads(path.read_text())  # type: ignore[attr-defined]
    datasource = yaml.safe_load((PROMETHEUS / "grafana-datasource.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    assert dashboard["uid"].startswith("concierge-")
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert ids
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]


def test_dashboard_uids_are_unique() -> None:
    uids = [json.loads(path.read_text())["uid"] for path in DASHBOARDS]
    assert len(DASHBOARDS) >= 3
    assert len(uids) == len(set(uids))


def test_each_alert_rule_is_complete() -> None:
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["labels"]["severity"] in {"info", "warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert metric_names(rule["expr"]), rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]


def test_compose_loads_the_rules_and_provisions_the_dashboards() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    prometheus = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    mounts = {
        volume.split(":")[1]: ROOT / volume.split(":")[0]
        for volume in compose["services"]["prometheus"]["volumes"]
        + compose["services"]["grafana"]["volumes"]
        if volume.startswith("./")
    }
    for rule_file in prometheus["rule_files"]:
        assert mounts[rule_file] == ALERTS
    provider = yaml.safe_load((PROMETHEUS / "grafana-dashboards.yml").read_text())
    folder = provider["providers"][0]["options"]["path"]
    assert mounts[folder] == PROMETHEUS / "dashboards"
    assert mounts["/etc/grafana/provisioning/dashboards/concierge.yml"].exists()

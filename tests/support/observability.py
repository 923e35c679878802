"""The metrics the Grafana dashboards, the Prometheus alert rules (infra/prometheus) and
the worker autoscaler's adapter rules (infra/k8s/prometheus-adapter.yaml) use, read out
of their PromQL, and the metrics a service's /metrics exports:
tests/e2e/test_observability.py compares the two."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "infra" / "prometheus"
DASHBOARDS = sorted((PROMETHEUS / "dashboards").glob("*.json"))
ALERTS = PROMETHEUS / "alerts.yml"
# The worker autoscaler's external metrics (prometheus-adapter's rules).
ADAPTER = ROOT / "infra" / "k8s" / "prometheus-adapter.yaml"
# Series Prometheus makes itself, not a service.
PROMETHEUS_OWN = frozenset({"up", "scrape_duration_seconds"})

_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
     "unless", "offset", "inf", "nan"}
)  # fmt: skip
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLES = re.compile(r"\$\w+")
_IDENTIFIER = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not its functions, labels or keywords)."""
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _RANGES.sub("", text)
    text = _GROUPING.sub("", text)
    text = _VARIABLES.sub("", text)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _KEYWORDS}


def dashboard_expressions(path: Path) -> list[str]:
    dashboard = json.loads(path.read_text())
    return [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def used_metrics() -> dict[str, set[str]]:
    """Each metric any dashboard panel or alert rule reads -> where (file: panel/alert)."""
    used: dict[str, set[str]] = {}
    for path in DASHBOARDS:
        for expr in dashboard_expressions(path):
            for name in metric_names(expr):
                used.setdefault(name, set()).add(path.name)
    for rule in alert_rules():
        for name in metric_names(rule["expr"]):
            used.setdefault(name, set()).add(f"alerts.yml: {rule['alert']}")
    for external in yaml.safe_load(ADAPTER.read_text())["rules"]["external"]:
        for name in metric_names(external["metricsQuery"]):
            used.setdefault(name, set()).add(f"{ADAPTER.name}: {external['name']['as']}")
    return used


def exported_series(metrics_text: str) -> set[str]:
    """Every series name a /metrics page can have, samples or not: a labelled metric that
    has counted nothing yet still declares its family (HELP and TYPE)."""
    names = set()
    for family in text_string_to_metric_families(metrics_text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.update({f"{family.name}_total", f"{family.name}_created"})
        elif family.type in ("histogram", "summary"):
            names.update(f"{family.name}_{part}" for part in ("bucket", "sum", "count"))
    return names

"""Check-in extraction by rules alone on the labelled guest messages of
``checkin_cases.json`` (issue 12, item 5): exact means the time and the date are both
right (null where the message states none). Prints the figure per language and for the
30 cases written after the first 170 had been tuned on ("held-out" in their note: the
rules got 25 of them right on first sight, and were fixed on the misses since, so the
figure is no longer an unseen one); the rules must reach 0.95 on the whole set."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from concierge.api.rentals.checkin.rules import extract
from concierge.text.language import detect_language
from tests.quality.report import publish

CASES: list[dict[str, Any]] = json.loads(
    Path(__file__).with_name("checkin_cases.json").read_text("utf-8")
)
FLOOR = 0.95


def _exact(case: dict[str, Any]) -> bool:
    found = extract(case["text"], datetime.fromisoformat(case["received_at"]))
    return (found.check_in_time, found.date) == (case["check_in_time"], case["date"])


def test_the_set_is_large_and_varied() -> None:
    assert len(CASES) >= 150
    for case in CASES:
        assert datetime.fromisoformat(case["received_at"]).tzinfo is not None
        assert set(case) == {"text", "received_at", "check_in_time", "date", "note"}
    languages = [detect_language(case["text"]) for case in CASES]
    assert languages.count("ru") >= 60
    assert languages.count("en") >= 60
    assert sum(case["check_in_time"] is None for case in CASES) >= 30  # no time, periods
    assert sum(case["date"] is not None for case in CASES) >= 40


def test_the_rules_reach_the_floor(pytestconfig: pytest.Config) -> None:
    misses = [case for case in CASES if not _exact(case)]
    groups: dict[str, list[dict[str, Any]]] = {"all": CASES}
    for case in CASES:
        language = detect_language(case["text"])
        groups.setdefault(language if language in ("ru", "en") else "other", []).append(case)
    groups["held-out"] = [case for case in CASES if case["note"].startswith("held-out")]
    lines = ["Check-in extraction, rules alone (exact: time and date):"]
    for name, cases in groups.items():
        right = sum(case not in misses for case in cases)
        lines.append(f"  {name:9} {right}/{len(cases)} = {right / len(cases):.3f}")
    lines += [f"  miss: {case['text'][:80]!r} ({case['note']})" for case in misses]
    publish(pytestconfig, lines)
    assert (len(CASES) - len(misses)) / len(CASES) >= FLOOR, lines

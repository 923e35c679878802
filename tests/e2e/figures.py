"""Figures the delivery tests measure (issue 10 asks for them): shown in pytest's summary
and kept in test-artifacts/delivery-figures.txt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES_FILE = ROOT / "test-artifacts" / "delivery-figures.txt"
FIGURES = pytest.StashKey[list[str]]()

Publish = Callable[[str], None]


def publisher(config: pytest.Config) -> Publish:
    def publish(line: str) -> None:
        lines = config.stash.setdefault(FIGURES, [])
        lines.append(line)
        FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
        FIGURES_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return publish


def summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("delivery figures")
        for line in lines:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"(also in {FIGURES_FILE})")

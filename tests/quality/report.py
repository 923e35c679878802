"""Where the quality report goes: a file under test-artifacts/ and pytest's summary."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPORT_FILE = ROOT / "test-artifacts" / "search-quality.txt"
REPORT = pytest.StashKey[list[str]]()


def publish(config: pytest.Config, lines: list[str]) -> None:
    """Keep the lines for the terminal summary (shown with or without -s) and a file."""
    published = config.stash.setdefault(REPORT, [])
    published.extend([*lines, ""])
    REPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    REPORT_FILE.write_text("\n".join(published), encoding="utf-8")

"""Shows the search-quality report at the end of the run."""

from __future__ import annotations

import pytest

from tests.quality.report import REPORT, REPORT_FILE


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(REPORT, [])
    if lines:
        terminalreporter.section("search quality")
        for line in lines:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"(also in {REPORT_FILE})")

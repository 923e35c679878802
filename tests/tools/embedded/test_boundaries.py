"""The dev/test process stack is dev tooling: it starts the services as processes and
talks to them over HTTP, and imports none of them (make lint's import contracts will
hold the same rule for the whole repository)."""

from __future__ import annotations

import ast
from pathlib import Path

import concierge.embedded

SERVICES = ("api", "bot", "worker", "sandbox", "avito")
PACKAGE = Path(concierge.embedded.__file__).parent


def imported_modules(source: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    modules = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


class TestBoundaries:
    def test_lives_with_the_dev_tools_not_the_libs(self) -> None:
        assert PACKAGE.parts[-4:-2] == ("tools", "embedded")

    def test_imports_no_service(self) -> None:
        files = sorted(PACKAGE.glob("*.py"))
        assert len(files) >= 5
        crossing = {
            f"{source.name}: {module}"
            for source in files
            for module in imported_modules(source)
            if module.split(".")[:2] in (["concierge", service] for service in SERVICES)
        }
        assert crossing == set()

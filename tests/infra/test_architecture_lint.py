"""``make lint``'s architecture rules fail on a planted violation, naming the rule."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "infra" / "lint" / "architecture.py"
COPIED = ("services", "libs", "tools", ".importlinter")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the product's code, to plant violations in."""
    root = tmp_path_factory.mktemp("tree")
    ignore = shutil.ignore_patterns("__pycache__", "node_modules", "*.egg-info")
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=ignore)
        elif source.exists():
            shutil.copy(source, root / name)
    return root


@pytest.fixture
def planted(tree: Path):
    """Append a line to a module of the copy for one test, then put it back."""
    changed: dict[Path, str] = {}

    def plant(module: str, line: str) -> None:
        path = tree / module
        changed.setdefault(path, path.read_text())
        path.write_text(changed[path] + f"\n{line}\n")

    yield plant
    for path, text in changed.items():
        path.write_text(text)


class TestTheTreeAsItIs:
    def test_keeps_every_rule(self) -> None:
        result = lint(REPO)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "BROKEN" not in result.stdout


class TestPlantedViolations:
    def test_a_service_importing_another_is_refused(self, tree: Path, planted) -> None:
        planted("services/worker/concierge/worker/jobs.py", "from concierge.api import main")
        result = lint(tree)
        assert result.returncode == 1
        assert "Services never import each other" in result.stdout
        assert "concierge.worker.jobs -> concierge.api.main" in result.stdout

    def test_a_lib_importing_a_service_is_refused(self, tree: Path, planted) -> None:
        planted("libs/text/concierge/text/urls.py", "import concierge.bot.texts")
        result = lint(tree)
        assert result.returncode == 1
        assert "Libs never import a service" in result.stdout

    def test_the_bot_importing_the_database_is_refused(self, tree: Path, planted) -> None:
        planted("services/bot/concierge/bot/texts.py", "import sqlalchemy")
        result = lint(tree)
        assert result.returncode == 1
        assert "Only api and worker touch Postgres" in result.stdout

    def test_sql_built_in_a_service_module_is_refused(self, tree: Path, planted) -> None:
        module = "services/api/concierge/api/market/listings/service.py"
        planted(module, "from sqlalchemy import select")
        result = lint(tree)
        assert result.returncode == 1
        assert "Broken rule: SQL and session use belong in repository modules" in result.stdout
        assert f"{module}:" in result.stdout
        assert "imports sqlalchemy" in result.stdout

    def test_session_use_outside_a_repository_is_refused(self, tree: Path, planted) -> None:
        module = "services/worker/concierge/worker/market/indexing.py"
        planted(module, "async def _planted(repo):\n    await repo.session.execute('SELECT 1')")
        result = lint(tree)
        assert result.returncode == 1
        assert f"{module}:" in result.stdout
        assert "calls session.execute()" in result.stdout

    def test_queries_in_a_repository_module_are_fine(self, tree: Path, planted) -> None:
        planted(
            "services/api/concierge/api/market/listings/repository.py",
            "async def _planted(session):\n    await session.execute(select(1))",
        )
        result = lint(tree)
        assert "Broken rule: SQL" not in result.stdout

"""The architecture's rules, checked by ``make lint``: ``python infra/lint/architecture.py [root]``.

1. The import rules in ``.importlinter`` (services never import each other, libs never
   import a service, nothing imports the sandbox or the dev tooling, only api and worker
   touch the database), run by import-linter over the tree at ``root``.
2. SQL is built and the session is used only in repository modules. Services (rules)
   call repositories; repositories (``repository.py``) hold every query. This finds, in
   the product's code (services/ and libs/):

- an import from ``sqlalchemy`` other than the session type (``sqlalchemy.ext.asyncio``)
  and its exceptions (``sqlalchemy.exc``);
- a call on a session (``session.execute(...)``, ``self.repo.session.flush()``, ...);

   outside ``repository.py`` modules, ORM models (``models.py``), migrations and the db
   lib itself.

Exits 1 when a rule is broken, naming the rule and each place.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

RULE = "SQL and session use belong in repository modules"
SCANNED = ("services", "libs")
ALLOWED_FILES = frozenset({"repository.py", "models.py", "schema.py"})
ALLOWED_PARTS = frozenset({"migrations"})
ALLOWED_ROOTS = (Path("libs/db"),)  # the engine, sessions and the generic repository
HARMLESS_IMPORTS = ("sqlalchemy.ext.asyncio", "sqlalchemy.exc")
SESSION_METHODS = frozenset(
    {
        "execute", "scalar", "scalars", "get", "add", "add_all", "delete", "flush",
        "merge", "refresh", "expunge", "expire", "commit", "rollback", "stream",
        "begin", "begin_nested", "run_sync", "connection",
    }
)  # fmt: skip


def allowed(path: Path, root: Path) -> bool:
    relative = path.relative_to(root)
    return (
        relative.name in ALLOWED_FILES
        or bool(ALLOWED_PARTS & set(relative.parts))
        or any(relative.is_relative_to(allowed_root) for allowed_root in ALLOWED_ROOTS)
    )


def _is_session(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "session"
    return isinstance(node, ast.Attribute) and node.attr == "session"


def _sqlalchemy_import(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = [node.module]
    else:
        return None
    for name in names:
        if (name == "sqlalchemy" or name.startswith("sqlalchemy.")) and not name.startswith(
            HARMLESS_IMPORTS
        ):
            return name
    return None


def violations(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and (name := _sqlalchemy_import(node)):
            yield node.lineno, f"imports {name} (build SQL in a repository)"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_METHODS
            and _is_session(node.func.value)
        ):
            yield node.lineno, f"calls session.{node.func.attr}() (call a repository instead)"


def check(root: Path) -> list[str]:
    found = []
    for folder in SCANNED:
        for path in sorted((root / folder).glob("*/concierge/**/*.py")):
            if allowed(path, root):
                continue
            for line, what in violations(path):
                found.append(f"{path.relative_to(root)}:{line}: {what}")
    return found


def check_sql(root: Path) -> bool:
    found = check(root)
    if found:
        print(f"Broken rule: {RULE}")
        print("\n".join(found))
        return False
    print(f"Rule kept: {RULE}")
    return True


def check_imports(root: Path) -> bool:
    """import-linter over the packages at ``root`` (ahead of any installed copy)."""
    packages = [str(path) for path in sorted(root.glob("*/*")) if (path / "concierge").is_dir()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(packages)}
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=root, env=env, check=False)
    return result.returncode == 0


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else ".").resolve()
    imports_kept = check_imports(root)
    sql_kept = check_sql(root)
    return 0 if imports_kept and sql_kept else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

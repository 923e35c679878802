"""Our services as local processes: started with an environment, stopped cleanly.

Every process started here dies with the one that started it. On Linux each child asks
the kernel for a signal when its parent dies (``PR_SET_PDEATHSIG``), so a SIGKILL of
make dev, a closed terminal or a test run killed at its timeout leaves nothing behind
holding a port or a data folder. Each child also leads its own process group: Ctrl-C
in a terminal reaches only the process that started them, which stops them in order
(services first, then Redis and Postgres), and a stop reaches the child's own children.

The kernel sends that signal when the *thread* that started the child ends, so start
processes from a thread that lives as long as they do (the main thread).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import httpx

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str, timeout_s: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


def _die_with_parent(death_signal: signal.Signals) -> Callable[[], None] | None:
    """What the child runs before exec: ask for ``death_signal`` when its parent dies."""
    if not sys.platform.startswith("linux"):
        return None  # elsewhere children outlive a killed parent; stop them yourself
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before the fork
    parent = os.getpid()

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, int(death_signal), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request was made
            os.kill(os.getpid(), death_signal)

    return in_child


def spawn(
    command: Sequence[str], *, death_signal: signal.Signals = signal.SIGTERM, **popen: Any
) -> subprocess.Popen[bytes]:
    """Start a child that gets ``death_signal`` when we die, in a process group of its own."""
    return subprocess.Popen(  # noqa: S603 (our own commands)
        list(command), process_group=0, preexec_fn=_die_with_parent(death_signal), **popen
    )


def stop_process(
    process: subprocess.Popen[bytes], timeout_s: float, sig: signal.Signals = signal.SIGTERM
) -> int:
    """Signal its process group, then SIGKILL it after timeout_s; the exit code."""
    signal_group(process, sig)
    try:
        return process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        return process.wait()


def signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send sig to the process and its own children (it leads its process group)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
        os.killpg(process.pid, sig)


def describe_exit(code: int) -> str:
    """``code 3``, or ``code -9 (SIGKILL)`` for a process a signal ended."""
    if code < 0:
        try:
            return f"code {code} ({signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"code {code}"


COLORS = {
    "sandbox": "\033[35m",
    "api": "\033[36m",
    "bot": "\033[33m",
    "worker": "\033[32m",
    "userbot": "\033[34m",
}
RESET = "\033[0m"


def _pump_to_stdout(service: str, stream: IO[bytes]) -> None:
    """Copy a process's output to ours, each line prefixed with the service name."""
    color = COLORS.get(service, "") if sys.stdout.isatty() else ""
    prefix = f"{color}{service:>8} |{RESET if color else ''} "
    for line in iter(stream.readline, b""):
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


class ServiceProcess:
    """``python -m concierge.<service>`` with its own environment.

    Its output goes to ``log_path``, or, without one, to our stdout line by line
    with the service name in front (``make dev``).
    """

    def __init__(
        self,
        service: str,
        port: int,
        env: dict[str, str],
        log_path: Path | None = None,
        *,
        module: str | None = None,
    ) -> None:
        self.service = service
        self.port = port
        self.env = env
        self.log_path = log_path
        self.module = module or f"concierge.{service}"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def name(self) -> str:
        return self.service

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True, timeout_s: float = 60.0) -> ServiceProcess:
        env = {**os.environ, **self.env}
        output: IO[bytes] | int = subprocess.PIPE
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = output = self.log_path.open("ab")
        # If we die, it dies at once: a graceful stop can take a worker many seconds (an
        # embedding batch in a thread), and at-least-once delivery covers what it ran.
        self.process = spawn(
            [sys.executable, "-m", self.module],
            death_signal=signal.SIGKILL,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        if self.process.stdout is not None:
            threading.Thread(
                target=_pump_to_stdout, args=(self.service, self.process.stdout), daemon=True
            ).start()
        if wait:
            wait_for_http(f"{self.url}/health", timeout_s, self.process)
        return self

    def poll(self) -> int | None:
        """The exit code once it has exited, None while it runs (or was never started)."""
        return self.process.poll() if self.process is not None else None

    def restart(self) -> ServiceProcess:
        """Start it again after it exited, without waiting for it to answer."""
        self.stop()
        return self.start(wait=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM) without waiting: stop() waits."""
        if self.process is not None:
            signal_group(self.process, signal.SIGTERM)

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after timeout_s; returns the exit code."""
        if self.process is None:
            return None
        code = stop_process(self.process, timeout_s)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (crash tests)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.stop()

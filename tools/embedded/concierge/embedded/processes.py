"""Our services as local processes: started with an environment, stopped cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx


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


COLORS = {"sandbox": "\033[35m", "api": "\033[36m", "bot": "\033[33m", "worker": "\033[32m"}
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
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True, timeout_s: float = 60.0) -> ServiceProcess:
        env = {**os.environ, **self.env}
        output: IO[bytes] | int = subprocess.PIPE
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = output = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own module)
            [sys.executable, "-m", self.module], env=env, stdout=output, stderr=subprocess.STDOUT
        )
        if self.process.stdout is not None:
            threading.Thread(
                target=_pump_to_stdout, args=(self.service, self.process.stdout), daemon=True
            ).start()
        if wait:
            wait_for_http(f"{self.url}/health", timeout_s, self.process)
        return self

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after timeout_s; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
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

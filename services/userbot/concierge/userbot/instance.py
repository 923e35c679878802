"""One process per session: the session file is Telegram's authorization of this
account, and two processes using it (from two addresses) get AUTH_KEY_DUPLICATED and the
session is revoked. An exclusive lock on a file beside the session (flock: released by
the kernel when the process dies, even killed with -9) keeps a second process out."""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import IO


class AnotherInstance(RuntimeError):
    pass


class SessionLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 (held for the process's life)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AnotherInstance(
                f"another userbot process holds the session {self.path.name} ({holder}): "
                "only one process may use a Telegram session"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

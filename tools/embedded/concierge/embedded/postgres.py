"""Postgres 16 + pgvector from the ``pgserver`` package, on a Unix socket.

The socket lives in the data folder, so keep that path short (Unix socket paths
are limited to ~100 bytes).
"""

from __future__ import annotations

import contextlib
import subprocess
import warnings
from pathlib import Path

ADMIN_DATABASE = "postgres"


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        if len(str(self.data_dir)) > 80:
            raise ValueError(f"Postgres data path too long for a Unix socket: {self.data_dir}")
        self._server: object | None = None

    def start(self) -> EmbeddedPostgres:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pgserver

            self._server = pgserver.get_server(self.data_dir, cleanup_mode=None)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        from pgserver import _commands

        user = getattr(self._server, "system_user", None)
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 (generated at import time)
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=user)
        self._server = None

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@/{database}?host={self.data_dir}"

    def psql(self, sql: str, database: str = ADMIN_DATABASE) -> str:
        if self._server is None:
            raise RuntimeError("Postgres is not started")
        if database == ADMIN_DATABASE:
            return str(self._server.psql(sql))  # type: ignore[attr-defined]
        return str(self._server.psql(f"\\c {database}\n{sql}"))  # type: ignore[attr-defined]

    def create_database(self, name: str, *, recreate: bool = False) -> None:
        if not name.replace("_", "").isalnum():
            raise ValueError(f"bad database name: {name}")
        if recreate:
            self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608
        if "(1 row)" not in exists:
            self.psql(f"CREATE DATABASE {name};")

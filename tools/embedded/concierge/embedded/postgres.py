"""Postgres 16 + pgvector from the ``pgserver`` package, on a Unix socket.

The ``postgres`` server runs as our child (not daemonized by ``pg_ctl``), so it dies
with the process that started it: a fast shutdown when we die, whatever kills us
(see processes.spawn). The socket lives in the data folder, so keep that path short
(Unix socket paths are limited to ~100 bytes). As root, Postgres runs as the
``pgserver`` user, as pgserver itself does.
"""

from __future__ import annotations

import logging
import os
import signal
import stat
import subprocess
import time
import warnings
from pathlib import Path

from concierge.embedded.processes import spawn, stop_process

log = logging.getLogger(__name__)

ADMIN_DATABASE = "postgres"
SUPERUSER = "postgres"
SYSTEM_USER_AS_ROOT = "pgserver"
START_TIMEOUT_S = 60.0
# What the product's Postgres runs with beyond the defaults (docker-compose.yml passes the
# same; tests/deploy checks that they agree). Shared buffers hold search's hot set (the
# documents, the HNSW index of their vectors and the text indexes: ~660 MB at 100,000
# documents), so a search reads no page through the operating system's cache: at the
# default 128 MB the full-text arm's p95 at 100k documents was 32 ms, at 768 MB 20 ms.
# The memory is taken as pages are first used, not at start.
SERVER_SETTINGS = {"shared_buffers": "768MB", "effective_cache_size": "2GB"}


def server_options(settings: dict[str, str] = SERVER_SETTINGS) -> list[str]:
    """``-c name=value`` for each setting, as the server's command line takes them."""
    return [part for name, value in settings.items() for part in ("-c", f"{name}={value}")]


def pginstall() -> Path:
    """pgserver's Postgres installation (bin/, lib/, share/)."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

    return Path(pgserver.__file__).parent / "pginstall"


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        if len(str(self.data_dir)) > 80:
            raise ValueError(f"Postgres data path too long for a Unix socket: {self.data_dir}")
        self.bin = pginstall() / "bin"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return "postgres"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "log"

    def start(self) -> EmbeddedPostgres:
        user = self._system_user()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(user)
        self._stop_leftover_server()
        with self.log_path.open("ab") as output:
            self.process = spawn(
                [str(self.bin / "postgres"), "-D", str(self.data_dir), "-k", str(self.data_dir),
                 "-c", "listen_addresses=", *server_options()],
                death_signal=signal.SIGINT,  # a fast shutdown: clients cut, a checkpoint
                stdout=output,
                stderr=subprocess.STDOUT,
                user=user,
            )  # fmt: skip
        self._wait_until_ready()
        return self

    def poll(self) -> int | None:
        """The exit code once the server has exited, None while it runs."""
        return self.process.poll() if self.process is not None else None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def restart(self) -> EmbeddedPostgres:
        """Start it again on the same data after it exited."""
        self.stop()
        return self.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """A fast shutdown (SIGINT); an immediate one (SIGQUIT) and then SIGKILL if slow."""
        if self.process is None:
            return
        try:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            stop_process(self.process, 2.0, signal.SIGQUIT)
        self.process = None

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{SUPERUSER}@/{database}?host={self.data_dir}"

    def psql(self, sql: str, database: str = ADMIN_DATABASE) -> str:
        """Run SQL with psql (on its standard input); psql's output."""
        if self.process is None:
            raise RuntimeError("Postgres is not started")
        command = [str(self.bin / "psql"), "-X", "-v", "ON_ERROR_STOP=1",
                   "-h", str(self.data_dir), "-U", SUPERUSER, "-d", database]  # fmt: skip
        done = subprocess.run(  # noqa: S603 (pgserver's own binary)
            command, input=sql.encode(), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout.decode()

    def create_database(self, name: str, *, recreate: bool = False) -> None:
        if not name.replace("_", "").isalnum():
            raise ValueError(f"bad database name: {name}")
        if recreate:
            self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608
        if "(1 row)" not in exists:
            self.psql(f"CREATE DATABASE {name};")

    # --- starting ------------------------------------------------------------------

    def _system_user(self) -> str | None:
        """Postgres refuses to run as root: then it runs as pgserver's own user."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return None
        from pgserver import utils  # the helpers pgserver uses for the same thing

        utils.ensure_user_exists(SYSTEM_USER_AS_ROOT)
        for path in (self.data_dir, self.bin):  # it may traverse their parents
            utils.ensure_prefix_permissions(path)
        readable = stat.S_IRGRP | stat.S_IROTH
        utils.ensure_folder_permissions(self.bin, readable | stat.S_IXGRP | stat.S_IXOTH)
        utils.ensure_folder_permissions(self.bin.parent / "lib", readable)
        os.chown(self.data_dir, *_ids(SYSTEM_USER_AS_ROOT))
        return SYSTEM_USER_AS_ROOT

    def _initdb(self, user: str | None) -> None:
        done = subprocess.run(  # noqa: S603 (pgserver's own binary)
            [str(self.bin / "initdb"), "-D", str(self.data_dir), "--auth=trust",
             "--auth-local=trust", "--encoding=utf8", "-U", SUPERUSER],
            capture_output=True, check=False, user=user,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.decode(errors='replace').strip()}")

    def _stop_leftover_server(self) -> None:
        """A server an earlier run left on this data folder (killed before this module
        made servers die with their parent) would refuse ours: stop it first."""
        pid = self._postmaster_pid()
        if pid is None or not _is_postgres_of(pid, self.data_dir):
            return
        log.warning("stopping the Postgres (pid %d) an earlier run left on %s", pid, self.data_dir)
        for sig, wait_s in ((signal.SIGINT, 10.0), (signal.SIGKILL, 5.0)):
            os.kill(pid, sig)
            deadline = time.monotonic() + wait_s
            while _is_postgres_of(pid, self.data_dir) and time.monotonic() < deadline:
                time.sleep(0.1)

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        except OSError:
            return None
        return int(first) if first.strip().isdigit() else None

    def _wait_until_ready(self) -> None:
        """Until postmaster.pid says "ready" (its 8th line), as pg_ctl -w waits."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"Postgres did not start; its log ends with:\n{tail}")
            time.sleep(0.05)

    def _ready(self) -> bool:
        assert self.process is not None
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[0] == str(self.process.pid) and "ready" in lines[7]


def _ids(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def _is_postgres_of(pid: int, data_dir: Path) -> bool:
    """Whether pid is alive and is a postgres server of this data folder."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(command) and command[0].endswith(b"postgres") and str(data_dir).encode() in command

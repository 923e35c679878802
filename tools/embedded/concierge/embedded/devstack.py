"""``make dev``: the whole product on this machine, no Docker.

Starts embedded Postgres (with pgvector) and Redis unless DATABASE_URL / REDIS_URL
are given, applies migrations, loads demo data, starts every service as a local
process on its default port, prints the URLs to open and streams the logs. Data
lives in ``.dev/`` and survives restarts.

While it runs, a process that dies is reported with its exit code and restarted with
backoff (see supervisor). Ctrl-C, ``kill`` and a closed terminal (SIGINT, SIGTERM,
SIGHUP) stop everything in order within 10 s: services (SIGTERM, SIGKILL after
5.5 s), then Redis, then Postgres. If this process is killed outright, every process
it started gets a signal from the kernel and stops too (see processes).
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from cryptography.fernet import Fernet

from concierge.embedded.demo import load_demo_data
from concierge.embedded.postgres import EmbeddedPostgres
from concierge.embedded.processes import describe_exit, spawn
from concierge.embedded.redis import EmbeddedRedis
from concierge.embedded.stack import SERVICES, Stack
from concierge.embedded.supervisor import Supervised, Supervisor

log = logging.getLogger("devstack")

DEV_DATABASE = "concierge"
DEV_ADMIN_ID = 1  # the sandbox user who is an admin in make dev
DEFAULT_PORTS = {
    "api": 8000,
    "bot": 8001,
    "worker": 8002,
    "userbot": 8003,
    "avito": 8004,
    "sandbox": 8010,
}
CHECK_EVERY_S = 0.5  # how often the supervisor looks at its processes
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl-C, kill, terminal gone


class DevStackError(RuntimeError):
    pass


def dev_dir() -> Path:
    return Path(os.environ.get("CONCIERGE_DEV_DIR", ".dev")).resolve()


def ports() -> dict[str, int]:
    return {
        service: int(os.environ.get(f"{service.upper()}_PORT", default))
        for service, default in DEFAULT_PORTS.items()
    }


@contextmanager
def single_instance(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "devstack.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DevStackError(
                f"make dev is already running with data in {folder}; stop it first (Ctrl-C)"
            ) from None
        yield


def ensure_ports_free(wanted: dict[str, int]) -> None:
    for service, port in wanted.items():
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                raise DevStackError(
                    f"port {port} for {service} is taken; free it or set {service.upper()}_PORT"
                )


def start_postgres(stack: ExitStack, folder: Path, supervised: list[Supervised]) -> str:
    if url := os.environ.get("DATABASE_URL"):
        log.info("using the Postgres at DATABASE_URL")
        return url
    postgres = EmbeddedPostgres(folder / "pg")
    stack.callback(postgres.stop)
    postgres.start().create_database(DEV_DATABASE)
    supervised.append(postgres)
    log.info("embedded Postgres is up (data in %s)", postgres.data_dir)
    return postgres.url(DEV_DATABASE)


def start_redis(stack: ExitStack, folder: Path, supervised: list[Supervised]) -> str:
    if url := os.environ.get("REDIS_URL"):
        log.info("using the Redis at REDIS_URL")
        return url
    redis = EmbeddedRedis(folder / "redis")
    stack.callback(redis.stop)
    redis.start()
    supervised.append(redis)
    log.info("embedded Redis is up (AOF in %s)", redis.data_dir)
    return redis.url


def dev_stack(database_url: str, redis_url: str, wanted: dict[str, int], folder: Path) -> Stack:
    passthrough = (
        "TELEGRAM_BOT_TOKEN",
        "BOT_PUBLIC_URL",
        "SERVICE_TOKEN",
        "BOT_WEBHOOK_SECRET",
        "USERBOT_BACKEND",
        "USERBOT_API_ID",
        "USERBOT_API_HASH",
    )
    stack = Stack(
        database_url,
        redis_url,
        logs=None,
        ports=dict(wanted),
        environment="dev",
        service_token=os.environ.get("SERVICE_TOKEN", "dev-service-token"),
        webhook_secret=os.environ.get("BOT_WEBHOOK_SECRET", "dev-webhook-secret"),
        admin_ids=os.environ.get("API_ADMIN_TELEGRAM_IDS", str(DEV_ADMIN_ID)),
        extra_env={
            "LOG_JSON": os.environ.get("LOG_JSON", "false"),
            # The demo feeds publish about once a day, which would mean a check a day; in
            # make dev an item published in the sandbox shows up within five minutes.
            "WORKER_INGEST_MAX_INTERVAL_S": os.environ.get("WORKER_INGEST_MAX_INTERVAL_S", "300"),
            # Listing photos live with the rest of make dev's data.
            "STORAGE_LOCAL_DIR": os.environ.get("STORAGE_LOCAL_DIR", str(folder / "uploads")),
            # The user-bot's session (and its channel cache) survive restarts with the rest.
            "USERBOT_SESSION_PATH": os.environ.get(
                "USERBOT_SESSION_PATH", str(folder / "userbot" / "concierge.session")
            ),
            **{name: os.environ.get(name, "") for name in passthrough if name in os.environ},
        },
    )
    # The media desk on the sandbox's TMDB, with a key ring kept beside the data, so the
    # indexers and seedboxes connected in one run still open in the next.
    media = {
        "API_MEDIA_TMDB_URL": f"{stack.url('sandbox')}/media/tmdb/3",
        "API_MEDIA_TMDB_KEY": "sandbox-tmdb-key",
        "API_MEDIA_SECRET_KEYS": media_key(folder),
    }
    stack.extra_env.update({name: os.environ.get(name, value) for name, value in media.items()})
    return stack


def media_key(folder: Path) -> str:
    """make dev's Fernet key for people's media credentials, made once in .dev/."""
    path = folder / "media-secret.key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


def migrate(env: dict[str, str]) -> None:
    """The api's migrations, run as the api's own command (as compose's migrate service)."""
    command = [sys.executable, "-m", "concierge.api.migrate"]
    code = spawn(command, env={**os.environ, **env}).wait()
    if code != 0:
        raise DevStackError(f"the migrations failed (exit {describe_exit(code)})")
    log.info("migrations applied")


def print_banner(wanted: dict[str, int], uses_sandbox: bool) -> None:
    chat = (
        f"  chat with the bot (sandbox)  http://127.0.0.1:{wanted['sandbox']}/"
        if uses_sandbox
        else "  TELEGRAM_BOT_TOKEN is set: chat with your bot in Telegram"
    )
    lines = [
        "",
        "Concierge is running. Open:",
        chat,
        f"  API docs                     http://127.0.0.1:{wanted['api']}/api/docs",
        f"  bot health                   http://127.0.0.1:{wanted['bot']}/health",
        f"  worker metrics (jobs)        http://127.0.0.1:{wanted['worker']}/metrics",
        f"  userbot (channels) ready     http://127.0.0.1:{wanted['userbot']}/ready",
        f"Telegram user {DEV_ADMIN_ID} is an admin. Ctrl-C stops everything; data stays in .dev/",
    ]
    print("\n".join(lines) + "\n", flush=True)  # noqa: T201 (the banner is the point)


def run() -> None:
    folder = dev_dir()
    wanted = ports()
    uses_sandbox = not os.environ.get("TELEGRAM_BOT_TOKEN")
    # The user-bot reads the sandbox's channels, or Telegram with USERBOT_BACKEND=telethon.
    userbot = uses_sandbox or os.environ.get("USERBOT_BACKEND") == "telethon"
    services = [
        s for s in SERVICES if (s != "sandbox" or uses_sandbox) and (s != "userbot" or userbot)
    ]
    for sig in STOP_SIGNALS:
        signal.signal(sig, _interrupt)
    with single_instance(folder), ExitStack() as stack:
        try:
            ensure_ports_free({s: wanted[s] for s in services})
            supervised: list[Supervised] = []
            database_url = start_postgres(stack, folder, supervised)
            redis_url = start_redis(stack, folder, supervised)
            dev = dev_stack(database_url, redis_url, wanted, folder)
            if not userbot:  # /feed @name then says plainly that no user-bot checks channels
                dev.extra_env["API_USERBOT_URL"] = ""
            migrate(dev.env())
            stack.callback(dev.stop)
            for service in services:
                supervised.append(dev.process(service).start())
            load_demo_data(
                dev.url("api"), dev.service_token, dev.url("sandbox") if uses_sandbox else None
            )
            print_banner(wanted, uses_sandbox)
            supervise(supervised)
        except KeyboardInterrupt:
            for sig in STOP_SIGNALS:  # a second Ctrl-C must not cut the stop short
                signal.signal(sig, signal.SIG_IGN)
            log.info("stopping…")
        stopping = time.monotonic()
    log.info("stopped in %.1f s", time.monotonic() - stopping)


def supervise(children: list[Supervised]) -> None:
    """Watch the processes until interrupted (KeyboardInterrupt)."""
    supervisor = Supervisor(children)
    while True:
        time.sleep(CHECK_EVERY_S)
        supervisor.check()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s devstack | %(message)s")
    for noisy in ("httpx", "pgserver"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        run()
    except KeyboardInterrupt:  # before anything was started
        log.info("stopped")
    except DevStackError as exc:
        log.error("%s", exc)
        sys.exit(1)


if __name__ == "__main__":
    main()

"""The services as real processes on free ports, for end-to-end tests and benchmarks.

Each service gets its own log file under the given folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from concierge.embedded.processes import ServiceProcess, free_port

SERVICE_TOKEN = "e2e-service-token-0123456789"  # noqa: S105 (tests only)
WEBHOOK_SECRET = "e2e-webhook-secret"  # noqa: S105 (tests only)
ADMIN_ID = 700_001
# Services get this long, together, to stop on SIGTERM (uvicorn's graceful shutdown is
# 5 s); then SIGKILL. Postgres and Redis stop after them: make dev is down within 10 s.
STOP_TIMEOUT_S = 5.5


SERVICES = ("sandbox", "api", "bot", "worker", "userbot", "avito")


@dataclass
class Stack:
    """api, bot, worker, userbot, avito and sandbox wired to each other, one database, one Redis.

    Ports default to free ones; logs go to one file per service under ``logs``,
    or to stdout when ``logs`` is None.
    """

    database_url: str
    redis_url: str
    logs: Path | None
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    environment: str = "test"
    service_token: str = SERVICE_TOKEN
    webhook_secret: str = WEBHOOK_SECRET
    admin_ids: str = str(ADMIN_ID)

    def __post_init__(self) -> None:
        for service in SERVICES:
            self.ports.setdefault(service, free_port())

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self) -> dict[str, str]:
        return {
            "CONCIERGE_ENV": self.environment,
            "LOG_JSON": "true",
            "LOG_LEVEL": "INFO",
            "SERVICE_TOKEN": self.service_token,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "API_URL": self.url("api"),
            "WORKER_URL": self.url("worker"),
            "SANDBOX_URL": self.url("sandbox"),
            "API_PORT": str(self.ports["api"]),
            "API_ADMIN_TELEGRAM_IDS": self.admin_ids,
            "BOT_PORT": str(self.ports["bot"]),
            "BOT_WEBHOOK_SECRET": self.webhook_secret,
            "SANDBOX_PORT": str(self.ports["sandbox"]),
            "WORKER_PORT": str(self.ports["worker"]),
            "USERBOT_PORT": str(self.ports["userbot"]),
            "USERBOT_URL": self.url("userbot"),
            "API_USERBOT_URL": self.url("userbot"),  # the feed checks channels through it
            # The user-bot's session, channel cache and lock (its backend: the sandbox).
            "USERBOT_SESSION_PATH": str(
                (self.logs or Path(".dev")) / "userbot" / "concierge.session"
            ),
            # The Avito gateway talks to the sandbox's Avito stand-in.
            "AVITO_PORT": str(self.ports["avito"]),
            "AVITO_URL": self.url("avito"),
            "AVITO_BASE_URL": f"{self.url('sandbox')}/avito",
            "AVITO_PUBLIC_URL": self.url("avito"),
            "AVITO_WEBHOOK_SECRET": f"{self.webhook_secret}-avito",
            # The sandbox's feeds are on 127.0.0.1: the one private address ingest may fetch.
            "INGEST_ALLOWED_PRIVATE_HOSTS": f"127.0.0.1:{self.ports['sandbox']}",
            # ... and the media desk's stand-in seedboxes and indexer.
            "MEDIA_ALLOWED_PRIVATE_HOSTS": f"127.0.0.1:{self.ports['sandbox']}",
            "TELEGRAM_BOT_TOKEN": "",
            **self.extra_env,
        }

    def process(self, service: str) -> ServiceProcess:
        if service not in self.processes:
            log_path = self.logs / f"{service}.log" if self.logs else None
            self.processes[service] = ServiceProcess(
                service, self.ports[service], self.env(), log_path
            )
        return self.processes[service]

    def start(self, *services: str) -> Stack:
        for service in services or SERVICES:
            self.process(service).start()
        return self

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM to every service at once; SIGKILL to those still running after timeout_s."""
        for process in self.processes.values():
            process.terminate()
        deadline = time.monotonic() + timeout_s
        for process in reversed(list(self.processes.values())):
            process.stop(max(0.0, deadline - time.monotonic()))

    def log_text(self, service: str) -> str:
        if self.logs is None:
            return ""
        path = self.logs / f"{service}.log"
        return path.read_text(errors="replace") if path.exists() else ""

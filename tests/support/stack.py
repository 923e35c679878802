"""The services as real processes on free ports, for end-to-end tests.

Each service gets its own log file under the scratch folder; a failing test
prints where to look.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from concierge.embedded import EmbeddedRedis, ServiceProcess, free_port

SERVICE_TOKEN = "e2e-service-token-0123456789"
WEBHOOK_SECRET = "e2e-webhook-secret"
ADMIN_ID = 700_001


@dataclass
class Stack:
    """api, bot and sandbox wired to each other, to one database and one Redis."""

    database_url: str
    redis: EmbeddedRedis
    logs: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for service in ("api", "bot", "sandbox"):
            self.ports.setdefault(service, free_port())

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self) -> dict[str, str]:
        return {
            "CONCIERGE_ENV": "test",
            "LOG_JSON": "true",
            "LOG_LEVEL": "INFO",
            "SERVICE_TOKEN": SERVICE_TOKEN,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "API_URL": self.url("api"),
            "SANDBOX_URL": self.url("sandbox"),
            "API_PORT": str(self.ports["api"]),
            "API_ADMIN_TELEGRAM_IDS": str(ADMIN_ID),
            "BOT_PORT": str(self.ports["bot"]),
            "BOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SANDBOX_PORT": str(self.ports["sandbox"]),
            "TELEGRAM_BOT_TOKEN": "",
            **self.extra_env,
        }

    def process(self, service: str) -> ServiceProcess:
        if service not in self.processes:
            self.processes[service] = ServiceProcess(
                service, self.ports[service], self.env(), self.logs / f"{service}.log"
            )
        return self.processes[service]

    def start(self, *services: str) -> Stack:
        for service in services or ("sandbox", "api", "bot"):
            self.process(service).start()
        return self

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()

    def log_text(self, service: str) -> str:
        path = self.logs / f"{service}.log"
        return path.read_text(errors="replace") if path.exists() else ""

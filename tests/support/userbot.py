"""The user-bot as a real process (``python -m concierge.userbot``) reading a real sandbox
process's MTProto stand-in, for tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx

from concierge.embedded import ServiceProcess, free_port


@contextmanager
def running(process: ServiceProcess) -> Iterator[ServiceProcess]:
    """``process`` started, and stopped on the way out."""
    process.start()
    try:
        yield process
    finally:
        process.stop()


def sandbox_process(logs: Path) -> AbstractContextManager[ServiceProcess]:
    port = free_port()
    env = {"SANDBOX_PORT": str(port), "CONCIERGE_ENV": "test"}
    return running(ServiceProcess("sandbox", port, env, logs / "sandbox.log"))


def userbot_env(
    sandbox: ServiceProcess, service_token: str, session_dir: Path, port: int
) -> dict[str, str]:
    """A user-bot on ``port`` with its own session folder, speaking ``service_token``."""
    return {
        "CONCIERGE_ENV": "test",
        "SERVICE_TOKEN": service_token,
        "LOG_JSON": "true",
        "SANDBOX_URL": sandbox.url,
        "API_URL": "http://127.0.0.1:9",  # no api process: admin alerts are only logged
        "USERBOT_PORT": str(port),
        "USERBOT_BACKEND": "sandbox",
        "USERBOT_SESSION_PATH": str(session_dir / "concierge.session"),
    }


def userbot_process(
    sandbox: ServiceProcess, service_token: str, session_dir: Path, **env: str
) -> AbstractContextManager[ServiceProcess]:
    """A running user-bot (``env`` added to its environment)."""
    port = free_port()
    env = {**userbot_env(sandbox, service_token, session_dir, port), **env}
    return running(ServiceProcess("userbot", port, env, session_dir / "userbot.log"))


def resolves(sandbox: ServiceProcess) -> int:
    """How many channel names the stand-in has resolved."""
    calls = httpx.get(f"{sandbox.url}/sandbox/mtproto/stats").json()["calls"]
    return int(calls.get("resolve", 0))

"""``python -m concierge.sandbox`` starts the service with its settings from the environment."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_module_starts_the_service():
    port = free_port()
    env = {**os.environ, "SANDBOX_PORT": str(port), "SANDBOX_BOT_USERNAME": "env_named_bot"}
    process = subprocess.Popen(
        [sys.executable, "-m", "concierge.sandbox"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"{url}/health", timeout=1, trust_env=False)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        assert health.json() == {"status": "ok", "service": "sandbox"}
        assert httpx.get(f"{url}/ready", trust_env=False).status_code == 200
        assert "text/plain" in httpx.get(f"{url}/metrics", trust_env=False).headers["content-type"]
        token = "7000000001:SandboxTokenForLocalDevelopment0000"
        me = httpx.get(f"{url}/bot{token}/getMe", trust_env=False).json()["result"]
        assert me["username"] == "env_named_bot"
    finally:
        process.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why.
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)


def test_access_log_never_shows_a_bot_token(caplog):
    import logging

    from concierge.sandbox.logs import ACCESS_LOGGER, redact_tokens_in_access_log

    redact_tokens_in_access_log()
    token = "123456789:AAE_test-token-0123456789abcdefghijk"
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        logging.getLogger(ACCESS_LOGGER).info("%s %s %s", "GET", f"/file/bot{token}/p.png", 200)
    assert token not in caplog.text
    assert "/file/bot123456789:<redacted>/p.png" in caplog.text

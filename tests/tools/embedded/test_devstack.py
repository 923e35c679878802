"""`make dev` as a user runs it: start, chat, stop with Ctrl-C, start again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from concierge.embedded import free_port

SERVICES = ("api", "bot", "sandbox", "worker")
BANNER = b"Ctrl-C stops everything"  # the last line of the banner


class DevStack:
    def __init__(self, folder: Path) -> None:
        self.ports = {service: free_port() for service in SERVICES}
        self.env = {
            **os.environ,
            "CONCIERGE_DEV_DIR": str(folder),
            "TELEGRAM_BOT_TOKEN": "",
            **{f"{s.upper()}_PORT": str(p) for s, p in self.ports.items()},
        }
        for name in ("DATABASE_URL", "REDIS_URL"):
            self.env.pop(name, None)
        self.output = b""

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "concierge.embedded.devstack"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert process.stdout is not None
        deadline = time.monotonic() + 90
        self.output = b""
        while BANNER not in self.output:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise AssertionError(self.output.decode(errors="replace")[-3000:])
            self.output += line
            if time.monotonic() > deadline:
                self.interrupt(process)
                raise AssertionError("make dev did not come up in 90 s")
        # Keep reading its logs, or a full pipe would block make dev and its services.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        return process

    def interrupt(self, process: subprocess.Popen[bytes]) -> None:
        """Ctrl-C reaches the whole foreground process group; here, the devstack."""
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


@pytest.fixture
def dev(scratch: Path) -> DevStack:
    return DevStack(scratch / "devstack")


def ports_closed(stack: DevStack) -> bool:
    for service in ("api", "bot", "sandbox"):
        try:
            httpx.get(f"{stack.url(service)}/health", timeout=0.5)
        except httpx.TransportError:
            continue
        return False
    return True


def wait_for_bot_message(sandbox: httpx.Client, chat_id: int) -> None:
    deadline = time.monotonic() + 15
    while not any(
        m["from"] == "bot" for m in sandbox.get(f"/sandbox/chats/{chat_id}/messages").json()
    ):
        assert time.monotonic() < deadline, "the bot did not answer"
        time.sleep(0.1)


class TestMakeDev:
    def test_runs_stops_and_keeps_its_data(self, dev: DevStack) -> None:
        process = dev.start()
        try:
            assert f"{dev.url('sandbox')}/".encode() in dev.output
            assert f"{dev.url('api')}/api/docs".encode() in dev.output
            for service in ("api", "bot", "sandbox"):
                assert httpx.get(f"{dev.url(service)}/ready").status_code == 200, service
            with httpx.Client(base_url=dev.url("sandbox"), timeout=5) as sandbox:
                sandbox.post("/sandbox/users/4242/messages", json={"text": "/start"})
                wait_for_bot_message(sandbox, 4242)

            second = subprocess.run(
                [sys.executable, "-m", "concierge.embedded.devstack"],
                env=dev.env, capture_output=True, timeout=30, check=False,
            )  # fmt: skip
            assert second.returncode != 0
            assert b"already running" in second.stdout + second.stderr
        finally:
            dev.interrupt(process)
        assert process.returncode == 0
        assert ports_closed(dev)

        process = dev.start()  # again, on the same data
        try:
            headers = {"X-Service-Token": "dev-service-token"}
            with httpx.Client(base_url=dev.url("api"), headers=headers) as api:
                user = api.get("/api/v1/users/4242")
                assert user.status_code == 200
                assert user.json()["status"] == "onboarding"
                assert api.get("/api/v1/users/1").json()["role"] == "admin"  # demo admin
        finally:
            dev.interrupt(process)
        assert ports_closed(dev)

"""`make dev` as a person runs it: start, chat, stop, start again; a service that dies,
a make dev killed outright, Ctrl-C on a busy machine."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from concierge.embedded import free_port
from tests.support.processes import command_line, descendants, wait_until_gone

SERVICES = ("api", "bot", "sandbox", "worker", "avito")
BANNER = b"Ctrl-C stops everything"  # the last line of the banner
COMMAND = [sys.executable, "-m", "concierge.embedded.devstack"]


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
        self.lines: list[bytes] = []
        self.started: list[subprocess.Popen[bytes]] = []

    @property
    def output(self) -> bytes:
        return b"".join(self.lines)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, *, own_session: bool = False) -> subprocess.Popen[bytes]:
        """make dev, up to its banner; own_session: in its own process group, as a
        terminal runs a foreground command (Ctrl-C reaches that group)."""
        process = subprocess.Popen(
            COMMAND,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=own_session,
        )
        self.started.append(process)
        assert process.stdout is not None
        deadline = time.monotonic() + 90
        self.lines = []
        while BANNER not in self.output:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise AssertionError(self.output.decode(errors="replace")[-3000:])
            self.lines.append(line)
            if time.monotonic() > deadline:
                self.interrupt(process)
                raise AssertionError("make dev did not come up in 90 s")
        # Keep reading its logs, or a full pipe would block make dev and its services.
        threading.Thread(target=self._keep_reading, args=(process,), daemon=True).start()
        return process

    def _keep_reading(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for line in iter(process.stdout.readline, b""):
            self.lines.append(line)

    def wait_for_output(self, text: bytes, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.output:
            assert time.monotonic() < deadline, f"{text!r} not in make dev's output"
            time.sleep(0.1)

    def interrupt(
        self, process: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGINT
    ) -> None:
        """Ctrl-C (or another stop signal) to make dev; waits until it has exited."""
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise

    def pid_of(self, process: subprocess.Popen[bytes], service: str) -> int:
        (pid,) = [
            pid
            for pid in descendants(process.pid)
            if command_line(pid).endswith(f"-m concierge.{service}")
        ]
        return pid

    def cleanup(self) -> None:
        """Whatever a failed test left running."""
        for process in self.started:
            leftovers = descendants(process.pid)
            process.kill()
            process.wait()
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if process.stdout is not None:
                process.stdout.close()


@pytest.fixture
def dev(scratch: Path) -> Iterator[DevStack]:
    stack = DevStack(scratch / f"devstack-{free_port()}")
    try:
        yield stack
    finally:
        stack.cleanup()


def ports_closed(stack: DevStack) -> bool:
    for service in SERVICES:
        try:
            httpx.get(f"{stack.url(service)}/health", timeout=0.5)
        except httpx.TransportError:
            continue
        return False
    return True


def bot_answers(stack: DevStack, user_id: int, text: str = "/start") -> None:
    """The user writes to the bot and gets an answer (the sandbox forgets chats when it
    stops, so any bot message is the answer to this one)."""
    with httpx.Client(base_url=stack.url("sandbox"), timeout=5) as sandbox:
        sandbox.post(f"/sandbox/users/{user_id}/messages", json={"text": text})
        deadline = time.monotonic() + 20
        while not any(
            m["from"] == "bot" for m in sandbox.get(f"/sandbox/chats/{user_id}/messages").json()
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
            bot_answers(dev, 4242)

            second = subprocess.run(
                COMMAND, env=dev.env, capture_output=True, timeout=30, check=False
            )
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
                # The demo listings were approved (at the revision submitted).
                alice = {"X-Acting-User": "2"}
                published = api.get("/api/v1/listings", headers=alice).json()["items"]
                assert published, "the demo listings were not published"
            # The bot keeps the update ids it has seen; the restarted sandbox must not
            # reuse them, or the bot would ignore this message.
            bot_answers(dev, 4242)
            bot_answers(dev, 4343)
        finally:
            dev.interrupt(process, signal.SIGHUP)  # the terminal was closed
        assert process.returncode == 0
        assert ports_closed(dev)


class TestSupervision:
    def test_a_killed_service_is_reported_and_restarted(self, dev: DevStack) -> None:
        process = dev.start()
        try:
            os.kill(dev.pid_of(process, "bot"), signal.SIGKILL)
            dev.wait_for_output(b"bot exited with code -9 (SIGKILL); restarting it in 1 s")
            dev.wait_for_output(b"bot restarted (pid ")
            bot_answers(dev, 5151)
        finally:
            dev.interrupt(process)
        assert ports_closed(dev)

    def test_a_killed_make_dev_leaves_no_process_port_or_data_behind(self, dev: DevStack) -> None:
        process = dev.start()
        everything = descendants(process.pid)
        commands = " ".join(command_line(pid) for pid in everything)
        for part in ("bin/postgres", "redis-server", *(f"-m concierge.{s}" for s in SERVICES)):
            assert part in commands
        process.kill()  # SIGKILL: no chance to clean up
        process.wait()
        left = wait_until_gone(everything, 10)
        assert not left, {pid: command_line(pid) for pid in left}
        assert ports_closed(dev)
        dev.interrupt(dev.start())  # the data folder and the ports are free again

    def test_ctrl_c_stops_everything_within_10_s_on_a_busy_machine(self, dev: DevStack) -> None:
        process = dev.start(own_session=True)
        everything = descendants(process.pid)
        busy = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(2 * (os.cpu_count() or 2))
        ]
        try:
            time.sleep(1)
            pressed = time.monotonic()
            os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
            process.wait(timeout=30)
            left = wait_until_gone(everything, 30)
            took = time.monotonic() - pressed
        finally:
            for hog in busy:
                hog.kill()
                hog.wait()
        assert not left, {pid: command_line(pid) for pid in left}
        assert process.returncode == 0
        assert took < 10, f"{took:.1f} s"
        assert ports_closed(dev)
        assert b"stopped in" in dev.output

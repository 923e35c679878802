"""Processes started by the embedded stack die with the process that started them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from concierge.embedded import EmbeddedPostgres, free_port
from tests.support.processes import alive, descendants, wait_until_gone

# What a test run or make dev does: Postgres, Redis and a service, then it is killed.
PARENT = """
import json, sys, time
from pathlib import Path
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis, ServiceProcess

root, port = Path(sys.argv[1]), int(sys.argv[2])
postgres = EmbeddedPostgres(root / "pg").start()
redis = EmbeddedRedis(root / "redis").start()
env = {"SANDBOX_PORT": str(port), "CONCIERGE_ENV": "test", "LOG_JSON": "true"}
sandbox = ServiceProcess("sandbox", port, env, root / "sandbox.log").start()
postmaster = int((root / "pg" / "postmaster.pid").read_text().split()[0])
print(json.dumps({"postgres": postmaster, "redis": redis.process.pid,
                  "sandbox": sandbox.process.pid}))
sys.stdout.flush()
time.sleep(600)
"""


def port_closed(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
    except httpx.TransportError:
        return True
    return False


class TestChildrenDieWithTheirParent:
    def test_a_killed_parent_leaves_no_process_port_or_data_folder_held(
        self, scratch: Path
    ) -> None:
        """SIGKILL of make dev, or of a test run at its timeout: nothing is left."""
        root, port = scratch / "orphans", free_port()
        parent = subprocess.Popen(
            [sys.executable, "-c", PARENT, str(root), str(port)], stdout=subprocess.PIPE
        )
        started: set[int] = set()
        try:
            assert parent.stdout is not None
            pids = json.loads(parent.stdout.readline())
            started = set(pids.values()) | descendants(parent.pid)
            assert all(alive(pid) for pid in pids.values())
            assert not port_closed(port)

            parent.kill()
            parent.wait()
            assert wait_until_gone(started, 10) == set()
        finally:
            parent.kill()
            parent.wait()
            if parent.stdout is not None:
                parent.stdout.close()
            for pid in started:  # a failing run must not leave them either
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        assert port_closed(port)
        postgres = EmbeddedPostgres(root / "pg").start()  # the data folder is free again
        try:
            assert "(1 row)" in postgres.psql("SELECT 1;")
        finally:
            postgres.stop()

"""Load figures: locust against the embedded stack, next to a bare endpoint.

Starts embedded Postgres and Redis, the sandbox, api, bot and worker as real processes
(the demo data loaded through the api: users, listings, the sandbox's feeds ingested),
then runs bench/support/locustfile.py headless, closed loop, at rising concurrency:

    api      search (3), browsing listings (3), signing in (1)
    webhook  Telegram updates to the bot's webhook (the bot handles them meanwhile)
    bare     a bare ASGI app under the same uvicorn settings: the machine's ceiling

For each scenario the step with the most requests/s whose errors stay within the budget
(1%) is reported: throughput and p95. Then each service's resident memory after the load
(the Kubernetes memory requests come from it). Locust runs on the same machine as the
stack: on 2 cores the figures are a floor, not a capacity.

    python bench/load.py [--quick] [--seconds 15]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from concierge.embedded import EmbeddedPostgres, EmbeddedRedis, free_port, wait_for_http
from concierge.embedded.demo import SandboxSignIn, load_demo_data
from concierge.embedded.processes import spawn
from concierge.embedded.stack import SERVICE_TOKEN, WEBHOOK_SECRET, Stack

SUPPORT = Path(__file__).parent / "support"
LOCUSTFILE = SUPPORT / "locustfile.py"
ERROR_BUDGET = 0.01
DEMO_ADMIN = "1"
WEBHOOK_USERS = [100_000 + n for n in range(500)]


@dataclass(frozen=True)
class Step:
    users: int
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    by_name: dict[str, tuple[float, float]]  # request name -> (req/s, p95 ms)

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 1.0


def locust(
    user_class: str, host: str, users: int, seconds: float, out: Path, env: dict[str, str]
) -> Step:
    prefix = out / f"{user_class}-{users}"
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
         "-u", str(users), "-r", str(users), "-t", f"{seconds:.0f}s", "--host", host,
         "--csv", str(prefix), "--exit-code-on-error", "0", "--loglevel", "WARNING",
         user_class],
        env={**os.environ, **env}, check=False, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"locust failed ({done.returncode}): {done.stderr[-2000:]}")
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = list(csv.DictReader(stats))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    return Step(
        users=users,
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        rps=float(total["Requests/s"]),
        p50_ms=float(total["50%"]),
        p95_ms=float(total["95%"]),
        by_name={
            row["Name"]: (float(row["Requests/s"]), float(row["95%"]))
            for row in rows
            if row["Name"] != "Aggregated"
        },
    )


def best_within_budget(steps: list[Step]) -> Step | None:
    within = [step for step in steps if step.error_rate <= ERROR_BUDGET and step.requests]
    return max(within, key=lambda step: step.rps, default=None)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(levels: list[int], seconds: float, root: Path) -> None:
    postgres = EmbeddedPostgres(root / "pg").start()
    redis = EmbeddedRedis(root / "redis").start()
    bare_port = free_port()
    bare = spawn([sys.executable, str(SUPPORT / "bare_asgi.py"), str(bare_port)])
    quiet = {"LOG_LEVEL": "WARNING", "API_RATE_LIMIT_ENABLED": "false"}
    stack = Stack(postgres.url("bench"), redis.url, root / "logs", quiet, admin_ids=DEMO_ADMIN)
    results: dict[str, list[Step]] = {}
    memory: dict[str, float] = {}
    try:
        postgres.create_database("bench")
        subprocess.run([sys.executable, "-m", "concierge.api.migrate"],
                       env={**os.environ, **stack.env()}, check=True)  # fmt: skip
        stack.start()
        load_demo_data(stack.url("api"), SERVICE_TOKEN, stack.url("sandbox"))
        check_listings(stack)
        httpx.post(
            f"{stack.url('sandbox')}/sandbox/users", json={"ids": WEBHOOK_USERS}, timeout=10
        ).raise_for_status()
        wait_for_http(f"http://127.0.0.1:{bare_port}/", 20, bare)
        warm_up(stack)
        env = {
            "BENCH_SERVICE_TOKEN": SERVICE_TOKEN,
            "BENCH_SANDBOX_URL": stack.url("sandbox"),
            "BENCH_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        targets = {
            "bare": ("BareUser", f"http://127.0.0.1:{bare_port}"),
            "api": ("ApiUser", stack.url("api")),
            "webhook": ("WebhookUser", stack.url("bot")),
        }
        for scenario, (user_class, host) in targets.items():
            results[scenario] = [
                locust(user_class, host, users, seconds, root, env) for users in levels
            ]
        time.sleep(1)
        for service, process in stack.processes.items():
            if process.process is not None:
                memory[service] = rss_mb(process.process.pid)
    finally:
        stack.stop()
        bare.terminate()
        bare.wait()
        redis.stop()
        postgres.stop()
    report(results, memory, seconds)


def check_listings(stack: Stack) -> None:
    """The listings scenario browses the demo listings: they must be published."""
    with httpx.Client(base_url=stack.url("api"), timeout=10) as api:
        headers = SandboxSignIn(api, stack.url("sandbox")).headers(2)
        page = api.get("/api/v1/listings", headers=headers).json()
    if not page["items"]:
        raise RuntimeError("the demo listings were not published: the bench would browse none")


def warm_up(stack: Stack) -> None:
    """One search first: the worker loads its embedding model for query vectors."""
    headers = {"X-Service-Token": SERVICE_TOKEN, "X-Acting-User": DEMO_ADMIN}
    httpx.get(f"{stack.url('api')}/api/v1/search", params={"q": "город"}, headers=headers,
              timeout=120)  # fmt: skip


def report(results: dict[str, list[Step]], memory: dict[str, float], seconds: float) -> None:
    print(f"closed loop, {seconds:.0f} s a step, error budget {ERROR_BUDGET:.0%}")
    for scenario, steps in results.items():
        for step in steps:
            print(f"{scenario:8} users={step.users:3}  {step.rps:8.1f} req/s  "
                  f"p50={step.p50_ms:6.1f} ms  p95={step.p95_ms:6.1f} ms  "
                  f"errors={step.error_rate:.2%} of {step.requests}")  # fmt: skip
            if len(step.by_name) > 1:
                for name, (rps, p95) in sorted(step.by_name.items()):
                    print(f"{'':8} {name:32} {rps:8.1f} req/s  p95={p95:6.1f} ms")
    bare = best_within_budget(results["bare"])
    for scenario in ("api", "webhook"):
        best = best_within_budget(results[scenario])
        if best is None or bare is None:
            print(f"RESULT load_{scenario} over_error_budget=true")
            continue
        print(
            f"RESULT load_{scenario}_rps={best.rps:.1f} p95_ms={best.p95_ms:.1f} "
            f"users={best.users} errors_pct={best.error_rate * 100:.2f} "
            f"baseline_rps={bare.rps:.1f} baseline_p95_ms={bare.p95_ms:.1f} "
            f"ratio_rps={best.rps / bare.rps:.3f}"
        )
    print("RESULT rss_mb " + " ".join(f"{name}={mb:.0f}" for name, mb in sorted(memory.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run of about two minutes")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time a step")
    args = parser.parse_args()
    levels = [4, 16] if args.quick else [4, 16, 48]
    seconds = 8.0 if args.quick else args.seconds
    with tempfile.TemporaryDirectory(prefix="ccb-", dir="/tmp") as root:
        run(levels, seconds, Path(root))


if __name__ == "__main__":
    main()

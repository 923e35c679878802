"""Politeness of the watch poller, on a virtual clock, next to the naive baseline.

10,000 watches over 50 targets for 30 simulated minutes. The poller's own rules run
here: the schedule looks for due targets every ``WORKER_WATCH_POLL_EVERY_S`` (5 s), a
claimed target is polled once (whatever its number of watchers) and gets its next time
from ``concierge.worker.watch.politeness.next_interval`` (floor · 1.15 ± 15 %), a job
waits up to a second in the queue, and a request sooner than the floor after the last
one is not sent (the poller's per-target floor key). Slots open at random moments; a
watcher hears of one at the first poll after it opened plus the api's diff and the
relay's first send (``--deliver-s``, 2 s). The baseline polls once per watch at the
floor, as a watcher without a shared poll would. Figures (targets from the issue):

- provider requests per target per floor interval (≤ 1.0), baseline alongside;
- the shortest gap between two requests to one target (never under the floor);
- slot opening → first watcher's message, p95 (≤ floor + 15 % + 5 s);
- fan-out of one slot to 1,000 watchers of one target at Telegram's 30 messages/s
  (the relay's pacing; bench/broadcast.py measures the real relay): its duration.

    python bench/watch.py [--quick] [--floor 180] [--minutes 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics

from concierge.worker.watch.politeness import JITTER, next_interval

TARGETS = 50
WATCHES = 10_000
POLL_EVERY_S = 5.0
TELEGRAM_RATE = 30.0


def simulate(
    floor_s: float, minutes: float, deliver_s: float, rng: random.Random
) -> dict[str, float]:
    horizon = minutes * 60.0
    next_poll = [0.0] * TARGETS  # a new target is due at once
    polls: list[list[float]] = [[] for _ in range(TARGETS)]
    tick = 0.0
    while tick <= horizon:
        for target in range(TARGETS):
            if next_poll[target] <= tick:
                runs = tick + rng.uniform(0.0, 1.0)  # the queued job runs
                last = polls[target][-1] if polls[target] else -floor_s
                if runs - last < floor_s:  # the floor key still lives: postponed
                    next_poll[target] = last + floor_s
                    continue
                polls[target].append(runs)
                next_poll[target] = tick + next_interval(floor_s, rng)
        tick += POLL_EVERY_S
    gaps = [b - a for times in polls for a, b in itertools.pairwise(times)]
    per_floor = statistics.mean(len(times) / (horizon / floor_s) for times in polls)

    latencies = []
    for _ in range(2000):  # slots opening at random moments at random targets
        target = rng.randrange(TARGETS)
        opened = rng.uniform(0.0, horizon - 2 * floor_s)
        after = [t for t in polls[target] if t >= opened]
        if after:
            latencies.append(after[0] - opened + deliver_s)
    latencies.sort()
    return {
        "per_floor": per_floor,
        "min_gap": min(gaps),
        "p95": latencies[int(0.95 * len(latencies)) - 1],
        "requests": float(sum(len(times) for times in polls)),
    }


def baseline() -> float:
    """One poll per watch at the floor: requests per target per floor interval."""
    return WATCHES / TARGETS


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--floor", type=float, default=180.0)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--deliver-s", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="10 simulated minutes")
    args = parser.parse_args()
    if args.quick:
        args.minutes = min(args.minutes, 10.0)
    result = simulate(args.floor, args.minutes, args.deliver_s, random.Random(args.seed))
    limit = args.floor * (1 + JITTER) + 5.0
    fanout_s = 1000 / TELEGRAM_RATE
    print(f"{WATCHES} watches over {TARGETS} targets, {args.minutes:g} simulated minutes, "
          f"floor {args.floor:g} s (virtual clock)")  # fmt: skip
    print(f"requests per target per floor interval: {result['per_floor']:.2f} "
          f"(target ≤ 1.0; baseline, a poll per watch: {baseline():.0f})")  # fmt: skip
    print(f"total provider requests: {result['requests']:.0f} "
          f"(baseline: {WATCHES * args.minutes * 60 / args.floor:.0f})")  # fmt: skip
    print(f"shortest gap between requests to one target: {result['min_gap']:.1f} s "
          f"(floor {args.floor:g} s)")  # fmt: skip
    print(f"slot opening → first message, p95: {result['p95']:.1f} s (target ≤ {limit:.0f} s)")
    print(
        f"one slot to 1,000 watchers at {TELEGRAM_RATE:g} messages/s: {fanout_s:.1f} s, "
        "paced by the relay (no 429 by construction; measured for real in bench/broadcast.py)"
    )
    ours, naive = result["per_floor"], baseline()
    print(
        f"RESULT requests_per_target_per_floor={ours:.2f} baseline={naive:.0f} "
        f"ratio={ours / naive:.4f} p95_s={result['p95']:.1f} min_gap_s={result['min_gap']:.1f}"
    )


if __name__ == "__main__":
    main()

"""Flood waits: when Telegram answers a kind of request (resolve, join, read) with
FLOOD_WAIT_X, that kind pauses for X seconds. Requests of it meanwhile are refused at once
(503 ``flood_wait`` with the seconds left) instead of being sent, which would lengthen
the wait; other kinds go on. The pauses show in /ready (degraded) and /metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from prometheus_client import Counter, Gauge


class Kind(StrEnum):
    RESOLVE = "resolve"
    JOIN = "join"
    READ = "read"


FLOOD_WAITS = Counter(
    "userbot_flood_waits_total", "Flood waits Telegram answered, by kind of request", ["kind"]
)
PAUSED = Gauge(
    "userbot_flood_wait_seconds", "Seconds left of a kind of request's flood wait", ["kind"]
)


class Paused(Exception):
    def __init__(self, kind: Kind, seconds: float) -> None:
        super().__init__(f"{kind} requests paused by a flood wait for {seconds:.0f} s")
        self.kind = kind
        self.seconds = seconds


class FloodGate:
    def __init__(self) -> None:
        self._until: dict[Kind, float] = {}
        for kind in Kind:
            PAUSED.labels(kind.value).set_function(self._reader(kind))

    def _reader(self, kind: Kind) -> Callable[[], float]:
        return lambda: self.left(kind)

    def left(self, kind: Kind) -> float:
        return max(0.0, self._until.get(kind, 0.0) - time.monotonic())

    def check(self, kind: Kind) -> None:
        left = self.left(kind)
        if left > 0:
            raise Paused(kind, left)

    def pause(self, kind: Kind, seconds: float) -> None:
        FLOOD_WAITS.labels(kind.value).inc()
        until = time.monotonic() + seconds
        self._until[kind] = max(until, self._until.get(kind, 0.0))

    def state(self) -> dict[str, float]:
        """The kinds paused now and the seconds left (for /ready)."""
        return {kind.value: round(self.left(kind), 1) for kind in Kind if self.left(kind) > 0}

"""Delivery outcomes on their way to api, sent in batches.

A batch that fails to reach api stays and is tried again. If the process dies
first, the leases of those notifications run out and they are claimed and sent
again: a notification can be sent twice, never zero times.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from concierge.contracts.notify import MAX_REPORT, DeliveryReport

log = logging.getLogger(__name__)

MAX_RETRY_WAIT_S = 5.0
MAX_HELD = 100_000  # beyond this the oldest are dropped; their leases bring them back

SendReports = Callable[[list[DeliveryReport]], Awaitable[object]]


class ReportBuffer:
    def __init__(self, send: SendReports, interval_s: float) -> None:
        self.send = send
        self.interval_s = interval_s
        self._pending: list[DeliveryReport] = []
        self._full = asyncio.Event()
        self._closing = asyncio.Event()
        self._failures = 0
        self._lock = asyncio.Lock()  # one flush at a time: a batch is removed once sent

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, report: DeliveryReport) -> None:
        self._pending.append(report)
        if len(self._pending) > MAX_HELD:
            dropped = len(self._pending) - MAX_HELD
            log.warning("api unreachable: dropping %d old delivery reports", dropped)
            del self._pending[:dropped]
        if len(self._pending) >= MAX_REPORT:
            self._full.set()

    async def run(self) -> None:
        """Flush every ``interval_s`` (sooner when a batch is full) until closed."""
        while not self._closing.is_set():
            await self._wait(self._next_wait())
            self._full.clear()
            await self.flush()

    async def flush(self) -> bool:
        """Send everything held; False if api could not be reached (it is all kept)."""
        async with self._lock:
            while self._pending:
                batch = self._pending[:MAX_REPORT]
                try:
                    await self.send(batch)
                except Exception as exc:  # api away or refusing: keep them, try later
                    self._failures += 1
                    log.warning("could not report %d deliveries: %r", len(batch), exc)
                    return False
                self._failures = 0
                del self._pending[: len(batch)]
            return True

    async def close(self) -> None:
        """Stop the loop and try once more to send what is held."""
        self._closing.set()
        if not await self.flush():
            log.warning("%d delivery reports lost at shutdown; leases will resend", len(self))

    def _next_wait(self) -> float:
        if self._failures:
            return min(MAX_RETRY_WAIT_S, self.interval_s * 2**self._failures)
        return self.interval_s

    async def _wait(self, seconds: float) -> None:
        # After a failure, a full batch does not cut the backoff short.
        events = (self._closing,) if self._failures else (self._full, self._closing)
        waiters = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

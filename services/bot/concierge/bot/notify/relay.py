"""The outbox relay: claims due notifications from api, sends them, reports back.

Three loops share one queue. The claimer leases due notifications (at most one per
chat, so a chat's messages keep their order) whenever the queue runs low, and never
more than can be sent before the lease ends. The sender takes the notification
whose chat is free soonest, waits for a slot of the global budget and sends it
without waiting for the answer; each chat has at most one message in flight. The
report buffer carries the outcomes to api in batches.

The bot never touches Postgres: api does the claiming (``FOR UPDATE SKIP LOCKED``)
and applies the outcomes. A relay that dies loses only its leases; they run out and
the notifications are claimed again: at least once, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from telegram.ext import ExtBot

from concierge.bot.notify.pacing import DeliveryPacing
from concierge.bot.notify.queue import Claimed, DeliveryQueue
from concierge.bot.notify.reports import ReportBuffer
from concierge.bot.notify.sending import deliver
from concierge.contracts.api_client import ApiClient
from concierge.contracts.notify import ClaimedNotification, DeliveryOutcome, DeliveryReport

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 64
MAX_CLAIM_BACKOFF_S = 10.0
LEASE_MARGIN_S = 10.0  # a send must start this long before its lease ends (or a quarter of it)
FINISH_SENDS_S = 1.5  # on shutdown, how long sends in flight may take to answer

NOTIFICATIONS_SENT = Counter("bot_notifications_total", "Notifications tried", ["outcome"])
NOTIFICATIONS_EXPIRED = Counter(
    "bot_notifications_lease_expired_total", "Claimed notifications left for a later claim"
)


@dataclass(frozen=True)
class RelaySettings:
    batch_size: int
    lease_s: float
    poll_interval_s: float
    report_interval_s: float

    @property
    def usable_lease_s(self) -> float:
        return self.lease_s - min(LEASE_MARGIN_S, self.lease_s / 4)


class OutboxRelay:
    def __init__(
        self, api: ApiClient, bot: ExtBot[Any], pacing: DeliveryPacing, settings: RelaySettings
    ) -> None:
        self.api = api
        self.bot = bot
        self.pacing = pacing
        self.settings = settings
        self.queue = DeliveryQueue(pacing.chats)
        self.reports = ReportBuffer(api.report_deliveries, settings.report_interval_s)
        # Claim again when less than two seconds of sending (or half a batch) is queued.
        rate = 1.0 / pacing.budget.interval
        self.low_water = max(1, min(settings.batch_size // 2, math.ceil(2 * rate)))
        self.capacity = max(1, int(rate * settings.usable_lease_s))
        self._claimed = asyncio.Event()  # new notifications are queued
        self._running_low = asyncio.Event()  # the queue wants more
        self._stopping = asyncio.Event()
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._sends: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        self._stopping.set()
        self._claimed.set()
        self._running_low.set()

    async def run(self) -> None:
        claimer = asyncio.create_task(self._claim_loop(), name="outbox-claimer")
        reporter = asyncio.create_task(self.reports.run(), name="outbox-reporter")
        try:
            await self._send_loop()
        finally:
            claimer.cancel()
            await asyncio.gather(claimer, return_exceptions=True)
            await self._finish_sends()
            self._release(self.queue.drain())
            await self.reports.close()
            await asyncio.gather(reporter, return_exceptions=True)

    # --- claiming ---------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            wanted = min(self.settings.batch_size, self.capacity - len(self.queue))
            if len(self.queue) >= self.low_water or wanted < 1:
                self._running_low.clear()
                await self._wait_for(self._running_low, self.settings.poll_interval_s)
                continue
            try:
                claimed = await self.api.claim_notifications(wanted, self.settings.lease_s)
            except Exception as exc:  # api away: the outbox keeps everything until it is back
                failures += 1
                log.warning("could not claim notifications: %r", exc)
                await self._pause(random.uniform(0, min(MAX_CLAIM_BACKOFF_S, 0.5 * 2**failures)))
                continue
            failures = 0
            self._enqueue(claimed, time.monotonic() + self.settings.usable_lease_s)
            if len(claimed) < wanted:  # nothing more is due now
                await self._pause(self.settings.poll_interval_s)

    def _enqueue(self, claimed: list[ClaimedNotification], usable_until: float) -> None:
        for notification in claimed:
            self.queue.push(Claimed(notification, usable_until))
        if claimed:
            self._claimed.set()

    # --- sending ----------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while not self._stopping.is_set():
            self._claimed.clear()  # before looking, so a claim landing meanwhile wakes us
            item, wait_s = self.queue.pop_ready()
            if len(self.queue) < self.low_water:
                self._running_low.set()
            if item is None:
                await self._wait_for(self._claimed, wait_s or self.settings.poll_interval_s)
                continue
            if time.monotonic() > item.usable_until:
                NOTIFICATIONS_EXPIRED.inc()  # not sent; api hands it out again
                continue
            await self._slots.acquire()
            await self.pacing.budget.acquire()
            if self._stopping.is_set():
                self._slots.release()
                self.queue.push(item)
                break
            self._start(item)

    def _start(self, item: Claimed) -> None:
        self.queue.in_flight.add(item.chat_id)
        self.pacing.chats.note_sent(item.chat_id)
        task = asyncio.create_task(self._send(item))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _send(self, item: Claimed) -> None:
        try:
            report = await deliver(self.bot, item.notification)
        finally:
            self.queue.in_flight.discard(item.chat_id)
            self._slots.release()
        NOTIFICATIONS_SENT.labels(report.outcome.value).inc()
        if report.outcome != DeliveryOutcome.SENT:
            log.info("notification %s: %s (%s)", report.id, report.outcome.value, report.error)
        self.reports.add(report)

    async def _finish_sends(self) -> None:
        if self._sends:
            await asyncio.wait(set(self._sends), timeout=FINISH_SENDS_S)

    def _release(self, items: list[Claimed]) -> None:
        """Hand untried notifications back, so they need not wait for their leases."""
        for item in items:
            report = DeliveryReport(id=item.notification.id, outcome=DeliveryOutcome.RELEASED)
            self.reports.add(report)

    # --- waiting ----------------------------------------------------------------------

    async def _wait_for(self, event: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when stopping."""
        await self._wait_for(self._stopping, seconds)

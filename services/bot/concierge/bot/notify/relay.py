"""The outbox relay: claims due notifications from api, sends them, reports back.

Three loops share one queue. The claimer leases due notifications (at most one per
chat, so a chat's messages keep their order) whenever the queue runs low, and never
more than can be sent before the lease ends. The sender takes the notification
whose chat is free soonest, waits for a slot of the global budget and sends it
without waiting for the answer; each chat has at most one message in flight. The
report buffer carries the outcomes to api in batches.

When Telegram stops answering, the outage guard (outage.py) pauses every send: the
sender then only probes, one send at a time with capped backoff, and the claimer keeps
just the one notification a probe needs. Failures in an outage cost no attempt.

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
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ExtBot

from concierge.bot.notify.ledger import SentLedger
from concierge.bot.notify.outage import OutageGuard
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
    outage_first_pause_s: float = 1.0
    outage_max_pause_s: float = 30.0

    @property
    def usable_lease_s(self) -> float:
        return self.lease_s - min(LEASE_MARGIN_S, self.lease_s / 4)


class OutboxRelay:
    def __init__(
        self,
        api: ApiClient,
        bot: ExtBot[Any],
        pacing: DeliveryPacing,
        settings: RelaySettings,
        ledger: SentLedger,
    ) -> None:
        self.api = api
        self.bot = bot
        self.pacing = pacing
        self.settings = settings
        self.ledger = ledger
        self.queue = DeliveryQueue(pacing.chats)
        self.reports = ReportBuffer(api.report_deliveries, settings.report_interval_s)
        self.outage = OutageGuard(settings.outage_first_pause_s, settings.outage_max_pause_s)
        # Claim again when less than two seconds of sending (or half a batch) is queued.
        rate = 1.0 / pacing.budget.interval
        self.low_water = max(1, min(settings.batch_size // 2, math.ceil(2 * rate)))
        self.capacity = max(1, int(rate * settings.usable_lease_s))
        self._claimed = asyncio.Event()  # new notifications are queued
        self._running_low = asyncio.Event()  # the queue wants more
        self._stopping = asyncio.Event()
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._sends: set[asyncio.Task[None]] = set()
        self._down = False  # what the log last said about an outage

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
            for report in self.outage.held():
                self.reports.add(report)
            await self.reports.close()
            await asyncio.gather(reporter, return_exceptions=True)

    # --- claiming ---------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            limit = 1 if self.outage.paused else self.capacity  # paused: one, for the probe
            wanted = min(self.settings.batch_size, limit - len(self.queue))
            if wanted < 1 or len(self.queue) >= min(self.low_water, limit):
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
            if self.outage.paused:
                await self._probe()
                continue
            self._claimed.clear()  # before looking, so a claim landing meanwhile wakes us
            item, wait_s = self.queue.pop_ready()
            if len(self.queue) < self.low_water:
                self._running_low.set()
            if item is None:
                await self._wait_for(self._claimed, wait_s or self.settings.poll_interval_s)
                continue
            if await self._take_turn(item):
                self._start(item)

    async def _take_turn(self, item: Claimed) -> bool:
        """A send slot and a slot of the budget for the item; False if it is not to go."""
        if time.monotonic() > item.usable_until:
            NOTIFICATIONS_EXPIRED.inc()  # not sent; api hands it out again
            return False
        await self._slots.acquire()
        await self.pacing.budget.acquire()
        if self._stopping.is_set():
            self._slots.release()
            self.queue.push(item)
            return False
        return True

    def _start(self, item: Claimed, *, probe: bool = False) -> asyncio.Task[None]:
        self.queue.in_flight.add(item.chat_id)
        self.pacing.chats.note_sent(item.chat_id)
        task = asyncio.create_task(self._send(item, probe))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)
        return task

    async def _send(self, item: Claimed, probe: bool) -> None:
        notification_id = item.notification.id
        try:
            if await self.ledger.was_sent(item.notification):  # by a relay killed before reporting
                report = DeliveryReport(id=notification_id, outcome=DeliveryOutcome.SENT)
            else:
                report = await deliver(self.bot, item.notification)
                if report.outcome == DeliveryOutcome.SENT:
                    await self.ledger.note(item.notification)
        finally:
            self.pacing.chats.note_answered(item.chat_id)
            self.queue.in_flight.discard(item.chat_id)
            self._slots.release()
        self._settle(self.outage.judge(item.chat_id, report, probe=probe))

    # --- an outage --------------------------------------------------------------------

    async def _probe(self) -> None:
        """Paused: at the probe's time, send one notification (or getMe) and wait for it."""
        await self._pause(self.outage.seconds_to_probe())
        if self._stopping.is_set():
            return
        item, wait_s = self.queue.pop_ready()
        if item is None and wait_s is not None:  # its chat is not free yet
            await self._pause(min(wait_s, self.settings.poll_interval_s))
        elif item is None:
            self._settle(self.outage.probed(await self._telegram_answers()))
        elif await self._take_turn(item):
            log.info("probing Telegram with notification %s", item.notification.id)
            await self._start(item, probe=True)

    async def _telegram_answers(self) -> bool:
        try:
            await self.bot.get_me()
        except TelegramError as exc:
            log.info("probing Telegram with getMe: %r", exc)
            return isinstance(exc, RetryAfter)  # a 429 is an answer
        return True

    def _settle(self, reports: list[DeliveryReport]) -> None:
        """Hand the judged outcomes to the report buffer; tell the log when an outage starts
        or ends (its notifications go back to api untried)."""
        was_down = self._down
        self._down = self.outage.down
        if self._down and not was_down:
            log.warning("Telegram is not answering: notifications paused, probing")
            self._release(self.queue.drain())
        elif was_down and not self.outage.paused:
            log.warning("Telegram answers again: notifications resumed")
        for report in reports:
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

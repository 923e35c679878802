"""Feeds stored updates to the python-telegram-bot Application.

Every chat has a lane: its updates are handled one at a time, in order, while other
chats' lanes run beside it (at most ``CONCURRENT_HANDLERS`` first tries and
``CONCURRENT_RETRIES`` retries at once). The
reader keeps reading the stream whatever a lane is doing, so a chat that waits (a 429's
``retry_after``, api being away) holds back nobody else. A button press is answered the
moment it is read, before any handler runs (see taps.py).

An entry is acknowledged only after its handlers finished. A handler that failed for a
passing reason (api unreachable, Telegram timing out or asking to wait) is run again
with capped backoff for as long as the update lives (Telegram keeps an update for 24 h);
the retries wait outside the handler slots. If the process stops or dies meanwhile, the
entry is still pending and is handled after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import orjson
from prometheus_client import Counter, Gauge, Histogram
from redis.exceptions import RedisError
from telegram import Update
from telegram.ext import Application

from concierge.bot.taps import answer_at_once
from concierge.common.logging import bound_request_id
from concierge.streams import StreamEntry, StreamGroup

log = logging.getLogger(__name__)

READ_BATCH = 32
# Updates handled at once. Handling shares the event loop with the webhook route; a
# bound on concurrent handlers bounds how much work can be queued ahead of a webhook
# request, which keeps acknowledgements fast under load. Retries have slots of their
# own: while api is away, many chats retrying never keep a new update waiting.
CONCURRENT_HANDLERS = 4
CONCURRENT_RETRIES = 2
# Entries read and not yet acknowledged. Beyond this the reader waits: the stream keeps
# the rest, so a long outage of api fills memory with nothing more than this.
MAX_UNFINISHED = 1000
READ_BLOCK_MS = 1000
RECLAIM_IDLE_MS = 300_000
RECLAIM_EVERY_S = 60.0
ACK_RETRY_S = 1.0

UPDATES_HANDLED = Counter("bot_updates_handled_total", "Updates handled", ["outcome"])
UPDATES_WAITING = Gauge("bot_updates_unfinished", "Updates read and not yet acknowledged")
HANDLING_SECONDS = Histogram(
    "bot_update_handling_seconds",
    "Time from reading an update to acknowledging it, retries included",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
)

Lane = deque[tuple[StreamEntry, Update | None]]


@dataclass(frozen=True)
class RetryPolicy:
    lifetime_s: float  # an update older than this is not retried (Telegram's is 24 h)
    max_backoff_s: float  # the longest wait between two tries of one update

    def backoff_s(self, attempt: int) -> float:
        """Full-jitter exponential backoff after the n-th try: up to 0.5 s, 1 s, 2 s, …"""
        return random.uniform(0, min(self.max_backoff_s, 0.5 * 2 ** (attempt - 1)))


@dataclass
class RetryBook:
    """Which updates asked to be retried, and until when each one may be.

    The error handler writes here (it cannot raise past python-telegram-bot); the
    consumer reads it after each try. An update the consumer did not register (a test
    calling ``process_update`` directly) is never retried.
    """

    expires_at: dict[int, float] = field(default_factory=dict)  # wall clock
    retry_after: dict[int, float] = field(default_factory=dict)
    failed: set[int] = field(default_factory=set)

    def begin(self, update_id: int, expires_at: float) -> None:
        self.expires_at[update_id] = expires_at

    def may_retry(self, update_id: int) -> bool:
        return time.time() < self.expires_at.get(update_id, 0.0)

    def request_retry(self, update_id: int, delay_s: float) -> None:
        self.retry_after[update_id] = delay_s

    def give_up(self, update_id: int) -> None:
        self.failed.add(update_id)

    def failing(self, update_id: int) -> bool:
        """Whether a handler failed this try of the update (a retry asked or given up)."""
        return update_id in self.retry_after or update_id in self.failed

    def forget(self, update_id: int) -> None:
        self.expires_at.pop(update_id, None)
        self.retry_after.pop(update_id, None)
        self.failed.discard(update_id)


def describe_update(update: Update) -> str:
    """Its kind, and the command a message starts with (never the user's text)."""
    kind = next((kind for kind in Update.ALL_TYPES if getattr(update, kind, None)), "update")
    text = update.message.text if update.message and update.message.text else ""
    command = text.split(maxsplit=1)[0].split("@")[0] if text.startswith("/") else ""
    return f"{kind} {command[:32]}" if command else kind


def chat_key(update: Update) -> int:
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return -update.update_id  # no chat: an ordering group of its own


def received_at(entry: StreamEntry) -> float:
    """When the update was stored: a stream entry id starts with its time in ms."""
    return int(entry.id.split("-", 1)[0]) / 1000


class UpdateConsumer:
    def __init__(
        self,
        group: StreamGroup,
        application: Application[Any, Any, Any, Any, Any, Any],
        book: RetryBook,
        policy: RetryPolicy,
    ) -> None:
        self.group = group
        self.application = application
        self.book = book
        self.policy = policy
        self._lanes: dict[int, Lane] = {}
        self._unfinished: set[str] = set()  # entry ids read and not yet acknowledged
        self._room = asyncio.Event()
        self._first_tries = asyncio.Semaphore(CONCURRENT_HANDLERS)
        self._retries = asyncio.Semaphore(CONCURRENT_RETRIES)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        await self.group.ensure()
        loop = asyncio.get_running_loop()
        next_reclaim = loop.time() + RECLAIM_EVERY_S
        try:
            while not self._stopping.is_set():
                try:
                    if not await self._wait_for_room():
                        continue
                    room = MAX_UNFINISHED - len(self._unfinished)
                    entries = await self.group.read(min(READ_BATCH, room), READ_BLOCK_MS)
                    if loop.time() >= next_reclaim:
                        running = set(self._unfinished)
                        entries += await self.group.reclaim(RECLAIM_IDLE_MS, running=running)
                        next_reclaim = loop.time() + RECLAIM_EVERY_S
                    for entry in entries:
                        self._dispatch(entry)
                except Exception:
                    log.exception("update consumer failed; retrying in 1 s")
                    await self._stopped_within(1.0)
        finally:
            await self._finish()

    # --- reading ----------------------------------------------------------------------

    async def _wait_for_room(self) -> bool:
        """True when more entries may be read; False after a second without room."""
        if len(self._unfinished) < MAX_UNFINISHED:
            return True
        self._room.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._room.wait(), 1.0)
        return False

    def _dispatch(self, entry: StreamEntry) -> None:
        if entry.id in self._unfinished:  # handed out again while a lane holds it
            return
        self._unfinished.add(entry.id)
        UPDATES_WAITING.set(len(self._unfinished))
        update = self._decode(entry)
        if update is not None and update.callback_query is not None:
            self._spawn(answer_at_once(update.callback_query))
        key = chat_key(update) if update is not None else 0
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = deque()
            self._spawn(self._run_lane(key, lane))
        lane.append((entry, update))

    def _decode(self, entry: StreamEntry) -> Update | None:
        try:
            return Update.de_json(orjson.loads(entry.fields["update"]), self.application.bot)
        except Exception:  # a payload we stored but cannot read will never get better
            log.exception("dropping unreadable update entry %s", entry.id)
            return None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- one chat's lane --------------------------------------------------------------

    async def _run_lane(self, key: int, lane: Lane) -> None:
        try:
            while lane and not self._stopping.is_set():
                entry, update = lane[0]
                if update is not None:
                    outcome = await self._handle_entry(entry, update)
                    if outcome is None:
                        return  # stopping mid-retry: the entry stays pending
                    UPDATES_HANDLED.labels(outcome).inc()
                if not await self._ack(entry.id):
                    return
                lane.popleft()
                self._unfinished.discard(entry.id)
                UPDATES_WAITING.set(len(self._unfinished))
                self._room.set()
        finally:
            if self._lanes.get(key) is lane:
                del self._lanes[key]

    async def _handle_entry(self, entry: StreamEntry, update: Update) -> str | None:
        with bound_request_id(f"tg-{update.update_id}"), HANDLING_SECONDS.time():
            self.book.begin(update.update_id, received_at(entry) + self.policy.lifetime_s)
            started = time.monotonic()
            outcome: str | None = "failed"
            try:
                outcome = await self._handle(update)
            except Exception:  # process_update itself failed: our bug, not the update's
                log.exception("handling update %s failed", update.update_id)
            finally:
                self.book.forget(update.update_id)
            if outcome is not None:
                log.info(  # the one line per update a person reading the log needs
                    "update %s (%s): %s in %.0f ms",
                    update.update_id,
                    describe_update(update),
                    outcome,
                    (time.monotonic() - started) * 1000,
                )
            return outcome

    async def _handle(self, update: Update) -> str | None:
        """Run the handlers, again while they ask for a retry; the outcome, or None when
        the consumer stops before the update is done."""
        update_id = update.update_id
        attempt = 0
        while True:
            attempt += 1
            slots = self._first_tries if attempt == 1 else self._retries
            async with slots:  # released while waiting to retry
                await self.application.process_update(update)
            if update_id in self.book.failed:
                return "failed"
            delay = self.book.retry_after.pop(update_id, None)
            if delay is None:
                return "done" if attempt == 1 else "done_after_retry"
            wait = max(delay, self.policy.backoff_s(attempt))
            log.warning("update %s failed (try %d); retrying in %.1f s", update_id, attempt, wait)
            if await self._stopped_within(wait):
                return None

    async def _ack(self, entry_id: str) -> bool:
        """Acknowledge, again while Redis is away; False if the consumer stops first."""
        while True:
            try:
                await self.group.ack(entry_id)
                return True
            except RedisError as exc:
                log.warning("could not acknowledge update entry %s: %r", entry_id, exc)
                if await self._stopped_within(ACK_RETRY_S):
                    return False

    # --- stopping ---------------------------------------------------------------------

    async def _stopped_within(self, seconds: float) -> bool:
        """Wait ``seconds``, or less if the consumer stops; True if it stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    async def _finish(self) -> None:
        """Let running handlers end (lanes stop before their next update); cancelled if the
        caller's grace runs out."""
        self._stopping.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

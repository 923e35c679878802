"""Feeds stored updates to the python-telegram-bot Application.

Entries are handled in batches: updates of different chats run concurrently,
updates of one chat strictly in order. An entry is acknowledged only after its
handlers finished. A handler that failed for a passing reason (api unreachable,
Telegram timing out or asking to retry later) is run again with backoff; if the
process dies meanwhile, the entry is still pending and is handled after restart.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

import orjson
from prometheus_client import Counter, Histogram
from telegram import Update
from telegram.ext import Application

from concierge.common.logging import bound_request_id
from concierge.streams import StreamEntry, StreamGroup

log = logging.getLogger(__name__)

READ_BATCH = 32
# Updates handled at once. Handling shares the event loop with the webhook route; a
# bound on concurrent handlers bounds how much work can be queued ahead of a webhook
# request, which keeps acknowledgements fast under load.
CONCURRENT_CHATS = 4
READ_BLOCK_MS = 1000
RECLAIM_IDLE_MS = 300_000
RECLAIM_EVERY_S = 60.0
MAX_BACKOFF_S = 30.0

UPDATES_HANDLED = Counter("bot_updates_handled_total", "Updates handled", ["outcome"])
HANDLING_SECONDS = Histogram(
    "bot_update_handling_seconds",
    "Time from reading an update to acknowledging it, retries included",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


@dataclass
class RetryBook:
    """Which updates asked to be retried, and which attempt each one is on.

    The error handler writes here (it cannot raise past python-telegram-bot);
    the consumer reads it after each attempt.
    """

    attempts: int
    current: dict[int, int] = field(default_factory=dict)
    retry_after: dict[int, float] = field(default_factory=dict)
    failed: set[int] = field(default_factory=set)

    def is_final_attempt(self, update_id: int) -> bool:
        return self.current.get(update_id, self.attempts) >= self.attempts

    def request_retry(self, update_id: int, delay_s: float) -> None:
        self.retry_after[update_id] = delay_s

    def give_up(self, update_id: int) -> None:
        self.failed.add(update_id)

    def forget(self, update_id: int) -> None:
        self.current.pop(update_id, None)
        self.retry_after.pop(update_id, None)
        self.failed.discard(update_id)


def backoff_delay(attempt: int) -> float:
    """Full-jitter exponential backoff: up to 0.5 s, 1 s, 2 s, … capped."""
    return random.uniform(0, min(MAX_BACKOFF_S, 0.5 * 2 ** (attempt - 1)))


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


class UpdateConsumer:
    def __init__(self, group: StreamGroup, application: Application, book: RetryBook) -> None:
        self.group = group
        self.application = application
        self.book = book
        self._stopping = asyncio.Event()
        self._slots = asyncio.Semaphore(CONCURRENT_CHATS)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        await self.group.ensure()
        loop = asyncio.get_running_loop()
        next_reclaim = loop.time() + RECLAIM_EVERY_S
        while not self._stopping.is_set():
            try:
                entries = await self.group.read(READ_BATCH, READ_BLOCK_MS)
                if loop.time() >= next_reclaim:
                    entries += await self.group.reclaim(RECLAIM_IDLE_MS)
                    next_reclaim = loop.time() + RECLAIM_EVERY_S
                await self._handle_batch(entries)
            except Exception:
                log.exception("update consumer failed; retrying in 1 s")
                await asyncio.sleep(1)

    async def _handle_batch(self, entries: list[StreamEntry]) -> None:
        by_chat: dict[int, list[tuple[StreamEntry, Update | None]]] = defaultdict(list)
        for entry in entries:
            update = self._decode(entry)
            by_chat[chat_key(update) if update else 0].append((entry, update))
        await asyncio.gather(*(self._handle_chat(items) for items in by_chat.values()))

    async def _handle_chat(self, items: list[tuple[StreamEntry, Update | None]]) -> None:
        for entry, update in items:
            if update is not None:
                with bound_request_id(f"tg-{update.update_id}"), HANDLING_SECONDS.time():
                    started = time.monotonic()
                    outcome = await self._handle(update)
                    UPDATES_HANDLED.labels(outcome).inc()
                    log.info(  # the one line per update a person reading the log needs
                        "update %s (%s): %s in %.0f ms",
                        update.update_id,
                        describe_update(update),
                        outcome,
                        (time.monotonic() - started) * 1000,
                    )
            await self.group.ack(entry.id)

    def _decode(self, entry: StreamEntry) -> Update | None:
        try:
            return Update.de_json(orjson.loads(entry.fields["update"]), self.application.bot)
        except Exception:  # a payload we stored but cannot read will never get better
            log.exception("dropping unreadable update entry %s", entry.id)
            return None

    async def _handle(self, update: Update) -> str:
        """Run the handlers, again while they ask for a retry; returns the outcome."""
        update_id = update.update_id
        try:
            for attempt in range(1, self.book.attempts + 1):
                self.book.current[update_id] = attempt
                async with self._slots:  # released while waiting to retry
                    await self.application.process_update(update)
                if update_id in self.book.failed:
                    return "failed"
                delay = self.book.retry_after.pop(update_id, None)
                if delay is None:
                    return "done" if attempt == 1 else "done_after_retry"
                log.warning("update %s failed (attempt %d); retrying", update_id, attempt)
                await asyncio.sleep(max(delay, backoff_delay(attempt)))
            return "failed"
        finally:
            self.book.forget(update_id)

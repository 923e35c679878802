"""Polling mode: fetch updates with getUpdates and put them in the same inbox.

An update is confirmed to Telegram (by the next call's offset) only after it is
stored, so polling is as durable as the webhook.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import NetworkError, RetryAfter
from telegram.ext import Application

from concierge.bot.inbox import UpdateInbox
from concierge.bot.retry_after import seconds_to_wait

log = logging.getLogger(__name__)

POLL_TIMEOUT_S = 30


class Poller:
    def __init__(self, application: Application, inbox: UpdateInbox, allowed: list[str]) -> None:
        self.application = application
        self.inbox = inbox
        self.allowed = allowed
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        offset = 0
        while not self._stopping.is_set():
            try:
                updates = await self.application.bot.get_updates(
                    offset=offset,
                    timeout=POLL_TIMEOUT_S,
                    allowed_updates=self.allowed,
                    read_timeout=POLL_TIMEOUT_S + 10,
                )
            except RetryAfter as exc:
                await asyncio.sleep(seconds_to_wait(exc))
                continue
            except (NetworkError, OSError) as exc:
                log.warning("getUpdates failed: %r; retrying in 2 s", exc)
                await asyncio.sleep(2)
                continue
            offset = await self._store(updates, offset)

    async def _store(self, updates: tuple[Update, ...], offset: int) -> int:
        """Store each update; the offset moves past an update only once it is stored."""
        for update in updates:
            await self._accept(update)
            offset = update.update_id + 1
        return offset

    async def _accept(self, update: Update) -> None:
        while True:
            try:
                await self.inbox.accept(update.to_dict())
                return
            except Exception as exc:  # Redis away: keep the update, try again
                log.warning("could not store update %s: %r", update.update_id, exc)
                await asyncio.sleep(1)

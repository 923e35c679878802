"""The updates a bot has not confirmed yet, in ``update_id`` order and per chat.

getUpdates reads them in order; webhook delivery takes the head of each chat's
queue, so one chat's updates arrive in order while other chats go on.

Update ids count up by one. The first id is random, as Telegram picks the next id
at random after a pause of a week or more: to a bot, a sandbox that starts again
(and forgets its updates) is such a pause, and a bot that de-duplicates by
update_id (ours keeps seen ids for 48 h) must not take the new updates for ones it
has seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from typing import Any

from concierge.sandbox.telegram.models import Update


class Signal:
    """Wakes every waiter when something changed; waiters re-check for themselves."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, at_most_s: float | None) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), at_most_s)


FIRST_ID_RANGE = (1, 2**30)  # leaves 2^31 - 2^30 ids before a 32-bit signed int ends


def random_first_id() -> int:
    return random.randint(*FIRST_ID_RANGE)


class UpdateQueue:
    def __init__(self, first_id: int | None = None) -> None:
        self._pending: dict[int, Update] = {}
        self._by_chat: dict[int, deque[Update]] = {}
        self._next_id = random_first_id() if first_id is None else first_id
        self._touched: dict[int, None] = {}
        self.changed = Signal()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, kind: str, chat_key: int, payload: dict[str, Any]) -> Update:
        update = Update(self._next_id, chat_key, kind, payload)
        self._next_id += 1
        self._pending[update.update_id] = update
        self._by_chat.setdefault(chat_key, deque()).append(update)
        self._touched[chat_key] = None
        self.changed.notify()
        return update

    def drain_touched(self) -> list[int]:
        """Chats that got updates since the last call (for the webhook sender)."""
        touched = list(self._touched)
        self._touched.clear()
        return touched

    def from_offset(self, offset: int, limit: int) -> list[Update]:
        found: list[Update] = []
        for update in self._pending.values():
            if update.update_id >= offset:
                found.append(update)
                if len(found) >= limit:
                    break
        return found

    def confirm_before(self, offset: int) -> None:
        """Forget every update whose id is below ``offset`` (getUpdates confirmation)."""
        while self._pending:
            first = next(iter(self._pending.values()))
            if first.update_id >= offset:
                return
            self._forget(first)

    def keep_last(self, count: int) -> None:
        while len(self._pending) > count:
            self._forget(next(iter(self._pending.values())))

    def clear(self) -> None:
        self._pending.clear()
        self._by_chat.clear()
        self._touched.clear()
        self.changed.notify()

    def chat_keys(self) -> list[int]:
        return list(self._by_chat)

    def head(self, chat_key: int) -> Update | None:
        queue = self._by_chat.get(chat_key)
        return queue[0] if queue else None

    def acknowledge(self, update: Update) -> None:
        """The webhook took ``update``: forget it if it is still pending."""
        if self._pending.get(update.update_id) is update:
            self._forget(update)

    def _forget(self, update: Update) -> None:
        del self._pending[update.update_id]
        queue = self._by_chat[update.chat_key]
        if queue[0] is update:
            queue.popleft()
        else:
            queue.remove(update)
        if not queue:
            del self._by_chat[update.chat_key]

"""Claimed notifications waiting for their chat's turn."""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field

from concierge.bot.notify.pacing import ChatPacer, Clock
from concierge.contracts.notify import ClaimedNotification

IN_FLIGHT_RECHECK_S = 0.1


@dataclass(frozen=True)
class Claimed:
    notification: ClaimedNotification
    usable_until: float  # monotonic; later than this the lease may be someone else's

    @property
    def chat_id(self) -> int:
        return self.notification.chat_id


@dataclass(order=True)
class _Entry:
    ready_at: float
    seq: int
    item: Claimed = field(compare=False)


class DeliveryQueue:
    """A heap of claimed notifications, the one whose chat is free soonest first.

    A chat with a message in flight is never offered another one, so a chat's
    messages leave one at a time (api hands out one per chat; this also covers a
    notification claimed again after its lease ran out while its send was slow).
    """

    def __init__(self, chats: ChatPacer, clock: Clock = time.monotonic) -> None:
        self.chats = chats
        self.clock = clock
        self.in_flight: set[int] = set()
        self._heap: list[_Entry] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, item: Claimed) -> None:
        entry = _Entry(self.chats.ready_at(item.chat_id), next(self._seq), item)
        heapq.heappush(self._heap, entry)

    def pop_ready(self) -> tuple[Claimed | None, float | None]:
        """The next notification whose chat may get a message now; else None and the
        seconds until one may (None: the queue is empty)."""
        now = self.clock()
        while self._heap:
            entry = self._heap[0]
            ready_at = self._ready_at(entry.item.chat_id, now)
            if ready_at > entry.ready_at:  # the chat got a message since: wait its turn
                heapq.heapreplace(self._heap, _Entry(ready_at, entry.seq, entry.item))
                continue
            if entry.ready_at > now:
                return None, entry.ready_at - now
            heapq.heappop(self._heap)
            return entry.item, 0.0
        return None, None

    def drain(self) -> list[Claimed]:
        items = [entry.item for entry in self._heap]
        self._heap.clear()
        return items

    def _ready_at(self, chat_id: int, now: float) -> float:
        if chat_id in self.in_flight:
            return now + IN_FLIGHT_RECHECK_S
        return self.chats.ready_at(chat_id)

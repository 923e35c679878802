"""Telegram's sending limits: per private chat, per group, and per bot.

Private chats get a token bucket (about one message a second with a small
burst), groups a moving window (20 messages a minute) and the whole bot a
moving window (30 messages a second). A refused call learns how long until a
slot frees, rounded up to whole seconds as ``retry_after``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from concierge.sandbox.settings import SandboxSettings

Clock = Callable[[], float]


class TokenBucket:
    def __init__(self, capacity: int, per_second: float, now: float) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.tokens = float(capacity)
        self.updated = now

    def _refill(self, now: float) -> None:
        gained = (now - self.updated) * self.per_second
        self.tokens = min(float(self.capacity), self.tokens + gained)
        self.updated = now

    def wait_time(self, now: float) -> float:
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_second

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class MovingWindow:
    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self.stamps: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self.stamps and self.stamps[0] <= now - self.window_s:
            self.stamps.popleft()

    def wait_time(self, now: float) -> float:
        self._prune(now)
        if len(self.stamps) < self.limit:
            return 0.0
        return self.stamps[-self.limit] + self.window_s - now

    def take(self, now: float) -> None:
        self._prune(now)
        self.stamps.append(now)


@dataclass(frozen=True)
class Refusal:
    reason: str  # "private_chat", "group_chat" or "global"
    retry_after: int


def retry_after_seconds(wait_s: float) -> int:
    return max(1, math.ceil(wait_s - 1e-9))


class SendLimiter:
    """All the limits of one bot; ``acquire`` takes a slot or says why not."""

    def __init__(self, settings: SandboxSettings, clock: Clock = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self.overall = MovingWindow(settings.global_limit, settings.global_window_s)
        self.private: dict[int, TokenBucket] = {}
        self.groups: dict[int, MovingWindow] = {}

    def acquire(self, chat_id: int) -> Refusal | None:
        now = self.clock()
        for reason, limit in self._limits(chat_id, now):
            wait = limit.wait_time(now)
            if wait > 0:
                return Refusal(reason, retry_after_seconds(wait))
        for _, limit in self._limits(chat_id, now):
            limit.take(now)
        return None

    def _limits(self, chat_id: int, now: float) -> list[tuple[str, TokenBucket | MovingWindow]]:
        limits: list[tuple[str, TokenBucket | MovingWindow]] = []
        chat_limit = self._chat_limit(chat_id, now)
        if chat_limit is not None:
            limits.append(("private_chat" if chat_id > 0 else "group_chat", chat_limit))
        if self.settings.global_limit > 0:
            limits.append(("global", self.overall))
        return limits

    def _chat_limit(self, chat_id: int, now: float) -> TokenBucket | MovingWindow | None:
        settings = self.settings
        if chat_id > 0:
            if settings.private_chat_burst <= 0 or settings.private_chat_per_second <= 0:
                return None
            if chat_id not in self.private:
                self.private[chat_id] = TokenBucket(
                    settings.private_chat_burst, settings.private_chat_per_second, now
                )
            return self.private[chat_id]
        if settings.group_chat_limit <= 0:
            return None
        if chat_id not in self.groups:
            self.groups[chat_id] = MovingWindow(
                settings.group_chat_limit, settings.group_chat_window_s
            )
        return self.groups[chat_id]

"""Faults a test asks for: matching Bot API calls fail (or are slow) on purpose.

A fault matches calls by bot, method and chat (each optional). It lasts for the next
``times`` matching calls, or, given ``seconds``, for every matching call during that
long (an outage: "502 to everything for five minutes"). It answers with its error
(Telegram's shape and status), after ``delay_s`` when given; a fault with a delay and
no error only makes the call slow, then the call runs as usual.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from concierge.sandbox.telegram.errors import BotApiError, default_description

Clock = Callable[[], float]


@dataclass
class Fault:
    id: int
    error_code: int | None
    description: str | None
    retry_after: int | None
    times_left: int
    method: str | None = None
    chat_id: int | None = None
    bot_id: int | None = None
    delay_s: float = 0.0
    until: float | None = None  # monotonic; set: the fault lasts until then, whatever the count

    def matches(self, bot_id: int, method: str, chat_id: int | None) -> bool:
        return (
            (self.bot_id is None or self.bot_id == bot_id)
            and (self.method is None or self.method == method.lower())
            and (self.chat_id is None or self.chat_id == chat_id)
        )

    def to_error(self) -> BotApiError | None:
        if self.error_code is None:
            return None
        return BotApiError(self.error_code, self.description or "", self.retry_after)

    def to_json(self, now: float) -> dict[str, Any]:
        return {
            "id": self.id,
            "error_code": self.error_code,
            "description": self.description,
            "retry_after": self.retry_after,
            "times_left": None if self.until is not None else self.times_left,
            "seconds_left": None if self.until is None else round(max(0.0, self.until - now), 3),
            "delay_s": self.delay_s,
            "method": self.method,
            "chat_id": self.chat_id,
            "bot_id": self.bot_id,
        }


class FaultBook:
    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(
        self,
        error_code: int | None,
        *,
        times: int = 1,
        seconds: float | None = None,
        delay_s: float = 0.0,
        retry_after: int | None = None,
        description: str | None = None,
        method: str | None = None,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> Fault:
        if error_code == 429:
            retry_after = max(1, retry_after or 1)
        if error_code is not None:
            description = description or default_description(error_code, retry_after)
        fault = Fault(
            id=next(self._ids),
            error_code=error_code,
            description=description,
            retry_after=retry_after,
            times_left=times,
            method=method.lower() if method else None,
            chat_id=chat_id,
            bot_id=bot_id,
            delay_s=delay_s,
            until=None if seconds is None else self.clock() + seconds,
        )
        self._faults.append(fault)
        return fault

    def take(self, bot_id: int, method: str, chat_id: int | None) -> Fault | None:
        """Use up one turn of the first fault matching this call."""
        self._forget_expired()
        for fault in self._faults:
            if fault.matches(bot_id, method, chat_id):
                if fault.until is None:
                    fault.times_left -= 1
                    if fault.times_left <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def to_json(self) -> list[dict[str, Any]]:
        now = self.clock()
        return [fault.to_json(now) for fault in self.list()]

    def list(self) -> list[Fault]:
        self._forget_expired()
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()

    def _forget_expired(self) -> None:
        now = self.clock()
        self._faults = [f for f in self._faults if f.until is None or f.until > now]

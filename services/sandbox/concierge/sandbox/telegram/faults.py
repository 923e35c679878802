"""Errors a test asks for: the next matching Bot API call(s) fail on purpose."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from concierge.sandbox.telegram.errors import BotApiError, default_description


@dataclass
class Fault:
    id: int
    error_code: int
    description: str
    retry_after: int | None
    times_left: int
    method: str | None = None
    chat_id: int | None = None
    bot_id: int | None = None

    def matches(self, bot_id: int, method: str, chat_id: int | None) -> bool:
        return (
            (self.bot_id is None or self.bot_id == bot_id)
            and (self.method is None or self.method == method.lower())
            and (self.chat_id is None or self.chat_id == chat_id)
        )

    def to_error(self) -> BotApiError:
        return BotApiError(self.error_code, self.description, self.retry_after)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "error_code": self.error_code,
            "description": self.description,
            "retry_after": self.retry_after,
            "times_left": self.times_left,
            "method": self.method,
            "chat_id": self.chat_id,
            "bot_id": self.bot_id,
        }


class FaultBook:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(
        self,
        error_code: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        method: str | None = None,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> Fault:
        if error_code == 429:
            retry_after = max(1, retry_after or 1)
        fault = Fault(
            id=next(self._ids),
            error_code=error_code,
            description=description or default_description(error_code, retry_after),
            retry_after=retry_after,
            times_left=times,
            method=method.lower() if method else None,
            chat_id=chat_id,
            bot_id=bot_id,
        )
        self._faults.append(fault)
        return fault

    def take(self, bot_id: int, method: str, chat_id: int | None) -> Fault | None:
        """Use up one turn of the first fault matching this call."""
        for fault in self._faults:
            if fault.matches(bot_id, method, chat_id):
                fault.times_left -= 1
                if fault.times_left <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def list(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()

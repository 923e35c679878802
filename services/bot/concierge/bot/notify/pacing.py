"""Telegram's sending limits, kept on our side so they are never hit.

``SendBudget`` spaces every message the bot sends (replies and notifications alike)
under one global rate; ``ChatPacer`` remembers when each chat may get its next
message (about one a second in a private chat, 20 a minute in a group) and which
chats Telegram told to wait (a 429's ``retry_after``). The python-telegram-bot rate
limiter below puts every reply through the same budget and refuses, without asking
Telegram, a message to a chat that must still wait; the relay takes its slots itself
and marks its calls ``PACED``. A 429 on any path holds that chat, and only that chat,
for every path.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prometheus_client import Counter, Gauge
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from concierge.bot.retry_after import seconds_to_wait

Clock = Callable[[], float]

PACED = "paced"  # rate_limit_args of a call whose caller already took its slots
# Methods that put a message in a chat: Telegram counts them (edits too) in its limits.
_MESSAGE_METHODS = ("send", "editMessage", "copyMessage", "forwardMessage")
_NOT_MESSAGES = frozenset({"sendChatAction", "sendMessageDraft"})
_PRUNE_AT = 10_000  # chats remembered before the ones free to send again are forgotten


# The broadcast rate against Telegram's limit, and the 429s it answers (dashboards, alerts).
MESSAGES_SENT = Counter(
    "bot_telegram_messages_total", "Messages Telegram accepted (sends and edits, every path)"
)
TOO_MANY_REQUESTS = Counter(
    "bot_telegram_retry_after_total", "Calls Telegram answered with 429 (retry_after)"
)
SEND_BUDGET = Gauge(
    "bot_telegram_send_budget_per_second", "The global message rate the bot keeps under"
)


def counts_as_message(endpoint: str) -> bool:
    return endpoint.startswith(_MESSAGE_METHODS) and endpoint not in _NOT_MESSAGES


class SendBudget:
    """At most ``rate`` messages a second over the whole bot, evenly spaced.

    Each send takes the next slot on a grid of ``1/rate`` seconds. A send a little
    late for its slot (the event loop was busy) keeps the grid, so the rate holds; one
    later than ``slack_s`` moves the grid to start a full interval after it, so neither
    an idle spell nor a stall turns into a burst. Every send then goes out within
    ``slack_s`` of its slot, and any one-second window holds at most
    ``rate * (1 + slack_s) + 1`` of them.
    """

    def __init__(self, rate: float, *, slack_s: float = 0.005, clock: Clock = time.monotonic):
        self.interval = 1.0 / rate
        self.slack_s = min(slack_s, self.interval / 2)
        self.clock = clock
        self._next = -math.inf

    def reserve(self) -> float:
        """Take the next free slot; returns its time (on ``clock``)."""
        now = self.clock()
        slot = self._next if self._next >= now - self.slack_s else now
        self._next = slot + self.interval
        return slot

    def settle(self, slot: float) -> None:
        """The send of ``slot`` goes out now. If that is later than the slack allows (the
        process was stalled), the next slot moves to a full interval from now: a late
        send is never followed closely by an on-time one."""
        now = self.clock()
        if now - slot > self.slack_s:
            self._next = max(self._next, now + self.interval)

    async def acquire(self) -> None:
        slot = self.reserve()
        delay = slot - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)
        self.settle(slot)


class ChatPacer:
    """When each chat may get its next message.

    Private chats (positive ids) get one message per ``private_interval_s``, groups and
    channels (negative ids) one per ``group_interval_s``. Both sit a little above
    Telegram's figures so the jitter of the network never adds up to a 429.
    """

    def __init__(
        self, private_interval_s: float, group_interval_s: float, clock: Clock = time.monotonic
    ) -> None:
        self.private_interval_s = private_interval_s
        self.group_interval_s = group_interval_s
        self.clock = clock
        self._free_at: dict[int, float] = {}
        self._held_until: dict[int, float] = {}  # Telegram said 429: nothing before then

    def ready_at(self, chat_id: int) -> float:
        """The monotonic time from which the chat may get a message (0: any time)."""
        return max(self._free_at.get(chat_id, 0.0), self._held_until.get(chat_id, 0.0))

    def held_for(self, chat_id: int) -> float:
        """Seconds the chat must still wait after a 429 (0: none)."""
        return max(0.0, self._held_until.get(chat_id, 0.0) - self.clock())

    def note_sent(self, chat_id: int) -> None:
        now = self.clock()
        interval = self.private_interval_s if chat_id > 0 else self.group_interval_s
        self._free_at[chat_id] = now + interval
        self._free_at = _pruned(self._free_at, now)

    def note_answered(self, chat_id: int) -> None:
        """Telegram answered a message to the chat: the interval runs again from now. Counted
        from the send alone, a request held up on its way (a busy machine, a slow network)
        reached Telegram less than the interval before the next one."""
        self.note_sent(chat_id)

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram asked this chat to wait ``seconds`` (a 429): every path waits."""
        now = self.clock()
        self._held_until[chat_id] = max(self._held_until.get(chat_id, 0.0), now + seconds)
        self._held_until = _pruned(self._held_until, now)


def _pruned(until: dict[int, float], now: float) -> dict[int, float]:
    """Forget the chats that are free again once too many are remembered."""
    if len(until) <= _PRUNE_AT:
        return until
    return {chat: at for chat, at in until.items() if at > now}


@dataclass(frozen=True)
class DeliveryPacing:
    """The bot's one budget and one memory of chats, shared by replies and the relay."""

    budget: SendBudget
    chats: ChatPacer

    @classmethod
    def create(
        cls, messages_per_second: float, private_interval_s: float, group_interval_s: float
    ) -> DeliveryPacing:
        SEND_BUDGET.set(messages_per_second)
        return cls(SendBudget(messages_per_second), ChatPacer(private_interval_s, group_interval_s))


class PacedRateLimiter(BaseRateLimiter[str]):
    """python-telegram-bot's hook for every Bot API call: messages wait for a slot of the
    global budget. A 429 holds its chat (only that chat: unlike AIORateLimiter, which
    stops every chat for one chat's 429); a message to a held chat raises ``RetryAfter``
    at once, without a call, so the caller retries when the chat is free. It never
    retries by itself: that is the caller's to handle."""

    def __init__(self, pacing: DeliveryPacing) -> None:
        self.pacing = pacing

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        chat = chat_id if isinstance(chat_id, int) else None
        paced_here = rate_limit_args != PACED and counts_as_message(endpoint)
        if paced_here:
            if chat is not None and (wait := self.pacing.chats.held_for(chat)) > 0:
                raise RetryAfter(timedelta(seconds=math.ceil(wait)))
            await self.pacing.budget.acquire()
            if chat is not None:
                self.pacing.chats.note_sent(chat)
        try:
            answer = await callback(*args, **kwargs)
        except RetryAfter as exc:
            TOO_MANY_REQUESTS.inc()
            if chat is not None:
                self.pacing.chats.hold(chat, seconds_to_wait(exc))
            raise
        finally:
            if chat is not None and paced_here:
                self.pacing.chats.note_answered(chat)
        if counts_as_message(endpoint):
            MESSAGES_SENT.inc()
        return answer

"""Telegram down for everyone: the relay stops sending, probes with capped backoff, resumes.

A send that fails for a passing reason (a timeout, a 5xx, the network: reported
``UNAVAILABLE`` by sending.py) may be about that one message or about Telegram as a
whole, and one failure cannot tell which. So on the first one the relay pauses every
send and holds that report back. Then:

- a send to another chat fails too (one still in flight, or the probe after the pause):
  Telegram is down. The held reports and every later failure go to api as
  ``UNAVAILABLE``: no attempt used, the notification is due again. Each failed probe
  doubles the pause, up to its cap.
- the probe gets an answer from Telegram (sent, or a 400, 403 or 429): sending resumes.
  If Telegram was never found down, the held failures were about their own messages:
  each goes to api as ``FAILED``, an attempt used, so a message Telegram keeps choking on
  still ends after its attempts.

A probe is the next notification due (a real send tests what failed); with nothing to
send it is ``getMe``. Only the relay's own sends are judged here; a reply's failure is
the update consumer's to retry.
"""

from __future__ import annotations

import time

from concierge.bot.notify.pacing import Clock
from concierge.contracts.notify import DeliveryOutcome, DeliveryReport


class OutageGuard:
    def __init__(
        self, first_pause_s: float, max_pause_s: float, clock: Clock = time.monotonic
    ) -> None:
        self.first_pause_s = first_pause_s
        self.max_pause_s = max(max_pause_s, first_pause_s)
        self.clock = clock
        self.paused = False  # no send starts but the probe
        self.down = False  # failures on two chats in this pause: Telegram itself is down
        self.pause_s = 0.0
        self._probe_at = 0.0
        self._held: dict[int, DeliveryReport] = {}  # chat → failure awaiting judgement

    def seconds_to_probe(self) -> float:
        return max(0.0, self._probe_at - self.clock())

    def judge(self, chat_id: int, report: DeliveryReport, *, probe: bool) -> list[DeliveryReport]:
        """The reports api may have now, given this send's outcome (``probe``: the send
        made to find out whether Telegram is back)."""
        if report.outcome != DeliveryOutcome.UNAVAILABLE:
            return [report, *self._resume()] if probe else [report]
        if not self.paused:
            self._pause()
        elif probe:
            self._back_off()
        if self.down:
            return [report]
        if self._held and chat_id not in self._held:  # a second chat fails: Telegram is down
            self.down = True
            return [*self.held(), report]
        self._held[chat_id] = report
        return []

    def probed(self, answered: bool) -> list[DeliveryReport]:
        """A probe without a notification (``getMe``): did Telegram answer?"""
        if answered:
            return self._resume()
        self.down = True
        self._back_off()
        return self.held()

    def held(self) -> list[DeliveryReport]:
        """Give up judging (the relay stops): the held failures cost no attempt."""
        held = list(self._held.values())
        self._held.clear()
        return held

    def _pause(self) -> None:
        self.paused = True
        self.pause_s = self.first_pause_s
        self._probe_at = self.clock() + self.pause_s

    def _back_off(self) -> None:
        self.pause_s = min(self.max_pause_s, self.pause_s * 2)
        self._probe_at = self.clock() + self.pause_s

    def _resume(self) -> list[DeliveryReport]:
        """Telegram answers again: the failures held were each about their own message."""
        failed = DeliveryOutcome.FAILED
        alone = [report.model_copy(update={"outcome": failed}) for report in self.held()]
        self.paused = self.down = False
        self.pause_s = 0.0
        return alone

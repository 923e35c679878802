"""Counters a test or benchmark reads back: calls, sends, 429s and injected faults, peak
rates, webhook deliveries."""

from __future__ import annotations

import time
from collections import Counter, deque
from typing import Any

PEAK_WINDOW_S = 1.0


class PeakRate:
    """The most events seen within any window of ``PEAK_WINDOW_S`` seconds."""

    def __init__(self) -> None:
        self.stamps: deque[float] = deque()
        self.peak = 0

    def record(self, now: float) -> None:
        self.stamps.append(now)
        while self.stamps[0] <= now - PEAK_WINDOW_S:
            self.stamps.popleft()
        self.peak = max(self.peak, len(self.stamps))


class BotStats:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()  # by method, answered or not
        self.messages_sent = 0
        self.edits = 0
        self.too_many_requests: Counter[str] = Counter()
        self.faults: Counter[int] = Counter()  # injected errors, by code
        self.chat_peaks: dict[int, PeakRate] = {}
        self.overall_peak = PeakRate()
        self.webhook_deliveries = 0
        self.webhook_failures = 0

    def record_send(self, chat_id: int, *, edit: bool = False) -> None:
        if edit:
            self.edits += 1
        else:
            self.messages_sent += 1
        now = time.monotonic()
        self.chat_peaks.setdefault(chat_id, PeakRate()).record(now)
        self.overall_peak.record(now)

    def record_call(self, method: str) -> None:
        self.calls[method] += 1

    def record_refusal(self, reason: str) -> None:
        self.too_many_requests[reason] += 1

    def record_fault(self, error_code: int) -> None:
        self.faults[error_code] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": dict(sorted(self.calls.items())),
            "messages_sent": self.messages_sent,
            "edits": self.edits,
            "too_many_requests": {
                "total": sum(self.too_many_requests.values()),
                **{reason: count for reason, count in sorted(self.too_many_requests.items())},
            },
            "faults": {str(code): count for code, count in sorted(self.faults.items())},
            "max_per_second": {str(chat): peak.peak for chat, peak in self.chat_peaks.items()},
            "max_per_second_overall": self.overall_peak.peak,
            "webhook": {
                "deliveries": self.webhook_deliveries,
                "failures": self.webhook_failures,
            },
        }

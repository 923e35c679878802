"""What each Bot API answer means for a notification."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from concierge.bot.notify.sending import failure_report
from concierge.contracts.notify import DeliveryOutcome


class TestFailureReport:
    def test_429_waits_without_an_attempt(self) -> None:
        report = failure_report(7, RetryAfter(timedelta(seconds=5)))
        assert report.outcome == DeliveryOutcome.RATE_LIMITED
        assert report.retry_after_s == 5

    def test_a_huge_retry_after_is_capped(self) -> None:
        report = failure_report(7, RetryAfter(timedelta(days=30)))
        assert report.retry_after_s == 86_400

    def test_403_is_blocked(self) -> None:
        report = failure_report(7, Forbidden("Forbidden: bot was blocked by the user"))
        assert report.outcome == DeliveryOutcome.BLOCKED
        assert report.error == "Forbidden: Forbidden: bot was blocked by the user"

    @pytest.mark.parametrize(
        "error",
        [BadRequest("Bad Request: chat not found"), BadRequest("Can't parse entities"),
         ChatMigrated(-1001234)],
    )  # fmt: skip
    def test_400_is_rejected(self, error: Exception) -> None:
        assert failure_report(7, error).outcome == DeliveryOutcome.REJECTED

    @pytest.mark.parametrize(
        "error",
        [TimedOut(), NetworkError("Bad Gateway"), NetworkError("httpx.ConnectError"),
         InvalidToken("Unauthorized")],
    )  # fmt: skip
    def test_telegram_not_answering_is_unavailable(self, error: Exception) -> None:
        """Whether that costs an attempt is the outage guard's to judge."""
        assert failure_report(7, error).outcome == DeliveryOutcome.UNAVAILABLE

    @pytest.mark.parametrize("error", [TelegramError("odd"), ValueError("bug")])
    def test_the_rest_is_a_failed_attempt(self, error: Exception) -> None:
        assert failure_report(7, error).outcome == DeliveryOutcome.FAILED

    def test_long_errors_are_cut(self) -> None:
        report = failure_report(7, BadRequest("x" * 5000))
        assert report.error is not None
        assert len(report.error) == 1000

"""When a source is checked next: from how often it publishes, what its server asks
(Cache-Control, Retry-After) and how often it failed in a row.

- A feed whose items carry dates is checked at half the time a new item is expected
  in: the mean gap between its latest items, or the time since its newest one when
  that is longer (a feed gone quiet is checked less and less). Without dates (a web
  page), the interval halves when the content changed and doubles when it did not.
- Every interval stays between the minimum and maximum (5 min and 24 h by default).
- A server's ``Cache-Control: max-age`` is a floor on the next check.
- After the n-th failure in a row the source waits min · 2^(n-1), at most the
  maximum, and never less than the server's Retry-After.
- A little jitter (up to 10 %, within the maximum) keeps sources added together from
  staying in step.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

RATE_SAMPLE = 20  # the newest items a publishing rate is taken from
JITTER = 0.1
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.I)


@dataclass(frozen=True)
class Bounds:
    min_s: float
    max_s: float

    def clamp(self, seconds: float) -> float:
        return min(self.max_s, max(self.min_s, seconds))


def publishing_interval(
    published: Sequence[datetime], now: datetime, bounds: Bounds
) -> float | None:
    """Half the expected wait for the next item, or None without two dated items."""
    recent = sorted(moment for moment in published if moment <= now)[-RATE_SAMPLE:]
    if len(recent) < 2:
        return None
    mean_gap = (recent[-1] - recent[0]).total_seconds() / (len(recent) - 1)
    silence = (now - recent[-1]).total_seconds()
    return bounds.clamp(max(mean_gap, silence) / 2)


def adaptive_interval(previous_s: float, changed: bool, bounds: Bounds) -> float:
    """For sources without dates: check twice as often after a change, half as often
    after none."""
    return bounds.clamp(previous_s / 2 if changed else previous_s * 2)


def error_backoff(errors_in_a_row: int, bounds: Bounds) -> float:
    return min(bounds.max_s, bounds.min_s * 2 ** max(0, errors_in_a_row - 1))


def with_jitter(seconds: float, bounds: Bounds) -> float:
    """Up to 10 % more, without passing the maximum (unless the server asked for more)."""
    return min(seconds * (1 + random.uniform(0, JITTER)), max(seconds, bounds.max_s))


def max_age_s(cache_control: str | None) -> float | None:
    """``max-age`` of a Cache-Control header (None when absent or no-store/no-cache)."""
    if not cache_control or re.search(r"no-(store|cache)", cache_control, re.I):
        return None
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


def retry_after_s(value: str | None, now: datetime) -> float | None:
    """Retry-After in seconds: given as seconds, or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def after_success(
    interval_s: float, server_max_age_s: float | None, now: datetime, bounds: Bounds
) -> datetime:
    wait = interval_s
    if server_max_age_s is not None:
        wait = max(wait, min(server_max_age_s, bounds.max_s))
    return now + timedelta(seconds=with_jitter(wait, bounds))


def after_failure(
    errors_in_a_row: int, server_retry_after_s: float | None, now: datetime, bounds: Bounds
) -> datetime:
    wait = error_backoff(errors_in_a_row, bounds)
    if server_retry_after_s is not None:
        wait = max(wait, min(server_retry_after_s, bounds.max_s))
    return now + timedelta(seconds=with_jitter(wait, bounds))

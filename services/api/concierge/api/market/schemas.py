"""The market desk's API models live in the shared contracts lib; this module names them
for api, next to the page cursor the listing queries share."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from concierge.common.errors import BadRequest
from concierge.contracts.market import (
    AuditEntry,
    Category,
    ListingCreate,
    ListingPage,
    ListingRead,
    ListingStatus,
    ListingUpdate,
    ModerationDecision,
)

__all__ = [
    "AuditEntry",
    "Category",
    "Cursor",
    "ListingCreate",
    "ListingPage",
    "ListingRead",
    "ListingStatus",
    "ListingUpdate",
    "ModerationDecision",
    "keyset_page",
]

MAX_CURSOR_LENGTH = 200
T = TypeVar("T")
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the sort key of its last row, and the row's id as tie-breaker.

    Sent to the client as opaque URL-safe base64; whatever comes back is checked, so a
    forged or damaged cursor is a 400, never a 500.
    """

    at: datetime
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        try:
            if len(value) > MAX_CURSOR_LENGTH:
                raise ValueError("too long")
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            at, id_ = json.loads(raw)
            if not isinstance(at, str) or type(id_) is not int or not 0 < id_ <= MAX_ID:
                raise ValueError("wrong shape")
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None:
                raise ValueError("no time zone")
            moment = moment.astimezone(UTC)  # out of range (year 0 or 10000): OverflowError
        except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
            message = "Invalid cursor: pass back next_cursor from the previous page"
            raise BadRequest(message) from exc
        return cls(moment, id_)


def keyset_page(
    rows: Sequence[T], limit: int, cursor_of: Callable[[T], Cursor]
) -> tuple[Sequence[T], str | None]:
    """A page of ``limit`` rows from ``limit + 1`` fetched, and the cursor to the next."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], cursor_of(rows[limit - 1]).encode()

"""Page cursors: one type for every paged list the api serves.

A cursor says where a page ended (the sort key of its last row, ``position``) and which
list it belongs to (``scope``: the list and the filters or query it was made for). It
travels as opaque URL-safe base64 JSON with an HMAC, so a cursor that was edited,
truncated, forged or made for another list is refused with one error, :class:`InvalidCursor`
(422), never a 500 and never silently another page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request

from concierge.common.errors import Invalid
from concierge.contracts.ids import is_row_id

MAX_CURSOR_LENGTH = 512
_SIGNATURE_BYTES = 12
T = TypeVar("T")
Scalar = str | int | float


class InvalidCursor(Invalid):
    @classmethod
    def default_detail(cls) -> str:
        return "The cursor is not valid: pass back next_cursor of the previous page unchanged"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"page-cursor:" + key).digest()

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def encode(self, position: Sequence[Scalar], scope: str) -> str:
        payload = json.dumps({"p": list(position), "s": scope}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, token: str, scope: str) -> list[Scalar]:
        """The position, if the cursor is ours, intact and made for this very list."""
        if len(token) > MAX_CURSOR_LENGTH or token.count(".") != 1 or not token.isascii():
            raise InvalidCursor()
        body, signature = token.split(".")
        try:
            payload, given = _unb64(body), _unb64(signature)
        except (binascii.Error, ValueError):
            raise InvalidCursor() from None
        if not hmac.compare_digest(given, self._sign(payload)):
            raise InvalidCursor()
        data = json.loads(payload)  # signed by us: well-formed
        if data.get("s") != scope:
            raise InvalidCursor("This cursor belongs to another list or search: start again")
        position = data.get("p")
        if not isinstance(position, list):
            raise InvalidCursor()
        return position


@dataclass(frozen=True)
class Keyset:
    """A keyset page's end: the last row's sort time and its id (the tie-breaker)."""

    at: datetime
    id: int

    def position(self) -> list[Scalar]:
        return [self.at.isoformat(), self.id]

    @classmethod
    def from_position(cls, position: Sequence[Scalar]) -> Keyset:
        if len(position) != 2:
            raise InvalidCursor()
        at, id_ = position
        if not isinstance(at, str) or type(id_) is not int or not is_row_id(id_):
            raise InvalidCursor()
        try:
            moment = datetime.fromisoformat(at).astimezone(UTC)
        except (ValueError, OverflowError):
            raise InvalidCursor() from None
        return cls(moment, id_)


def finite_number(value: Scalar) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidCursor()
    return float(value)


@dataclass(frozen=True)
class KeysetPager:
    """Keyset pages of one list (``scope``) for the current request."""

    codec: CursorCodec
    scope: str

    def after(self, cursor: str | None) -> Keyset | None:
        return Keyset.from_position(self.codec.decode(cursor, self.scope)) if cursor else None

    def page(
        self, rows: Sequence[T], limit: int, key: Callable[[T], Keyset]
    ) -> tuple[Sequence[T], str | None]:
        """A page of ``limit`` rows from ``limit + 1`` fetched, and the cursor to the next."""
        if len(rows) <= limit:
            return rows, None
        return rows[:limit], self.codec.encode(key(rows[limit - 1]).position(), self.scope)


def get_cursor_codec(request: Request) -> CursorCodec:
    codec: CursorCodec = request.app.state.cursors
    return codec


CursorCodecDep = Annotated[CursorCodec, Depends(get_cursor_codec)]
PageCursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page"),
]

"""Opaque, signed page cursors.

A cursor is the last item's place in the ordering (score, id) plus a fingerprint of
the search it belongs to, as base64url JSON with an HMAC. A cursor that was edited,
truncated or made for another query is refused (422) rather than silently giving
some other page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from dataclasses import dataclass

from concierge.common.errors import Invalid
from concierge.contracts.search import SearchMode

_SIGNATURE_BYTES = 12
_MAX_CURSOR = 512
_MODES = frozenset(mode.value for mode in SearchMode)


@dataclass(frozen=True)
class Cursor:
    score: float
    id: int
    fingerprint: str
    mode: str  # the mode the first page was found with; later pages keep it


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"search-cursor:" + key).digest()

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def encode(self, cursor: Cursor) -> str:
        fields = {"s": cursor.score, "i": cursor.id, "f": cursor.fingerprint, "m": cursor.mode}
        payload = json.dumps(fields, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, token: str, fingerprint: str) -> Cursor:
        """The cursor, if it is ours, intact and made for this very search."""
        if len(token) > _MAX_CURSOR or token.count(".") != 1:
            raise Invalid("The cursor is not valid")
        body, signature = token.split(".")
        try:
            payload, given = _unb64(body), _unb64(signature)
        except (binascii.Error, ValueError):
            raise Invalid("The cursor is not valid") from None
        if not hmac.compare_digest(given, self._sign(payload)):
            raise Invalid("The cursor is not valid")
        data = json.loads(payload)  # signed by us: well-formed
        if data.get("f") != fingerprint:
            raise Invalid("The cursor belongs to another search; start from the first page")
        score, id_, mode = data.get("s"), data.get("i"), data.get("m")
        if (
            not isinstance(score, float | int)
            or not math.isfinite(score)
            or type(id_) is not int
            or mode not in _MODES
        ):
            raise Invalid("The cursor is not valid")
        return Cursor(float(score), id_, fingerprint, mode)

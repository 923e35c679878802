"""Where a search page ends: the last hit's (score, id) in the fused order, and the mode
the first page was found with (later pages keep it, so their scores compare).

It travels as the api's one cursor type (``concierge.api.paging``) scoped to the search's
fingerprint: a cursor made for another query, or edited, is refused (422).
"""

from __future__ import annotations

from dataclasses import dataclass

from concierge.api.paging import CursorCodec, InvalidCursor, finite_number
from concierge.contracts.ids import is_row_id
from concierge.contracts.search import SearchMode

_MODES = {mode.value: mode for mode in SearchMode}


@dataclass(frozen=True)
class SearchCursor:
    score: float
    id: int
    mode: SearchMode

    def encode(self, codec: CursorCodec, fingerprint: str) -> str:
        return codec.encode([self.score, self.id, self.mode.value], fingerprint)

    @classmethod
    def decode(cls, codec: CursorCodec, token: str, fingerprint: str) -> SearchCursor:
        position = codec.decode(token, fingerprint)
        if len(position) != 3:
            raise InvalidCursor()
        score, id_, mode = position
        if type(id_) is not int or not is_row_id(id_) or not isinstance(mode, str):
            raise InvalidCursor()
        if mode not in _MODES:
            raise InvalidCursor()
        return cls(finite_number(score), id_, _MODES[mode])

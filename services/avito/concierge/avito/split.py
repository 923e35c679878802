"""Splitting a long reply into messages Avito accepts (≤ 1000 characters each)."""

from __future__ import annotations

import re

from concierge.contracts.avito import MESSAGE_LIMIT

# A sentence ends at . ! ? … (with closing quotes or brackets) followed by space, or at a
# line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»)\]]*\s+|\n+")


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Parts of at most ``limit`` characters, cut at sentence ends where possible, then at
    spaces, and only as a last resort inside a word. Joined, the parts say the text."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for sentence in _sentences(text):
        for piece in _fit(sentence, limit):
            joined = f"{current} {piece}" if current else piece
            if len(joined) <= limit:
                current = joined
            else:
                parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        out.append(text[start : match.start()].strip() + text[match.start() : match.end()].strip())
        start = match.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def _fit(sentence: str, limit: int) -> list[str]:
    """A sentence longer than the limit, cut at spaces (or hard, for one huge word)."""
    if len(sentence) <= limit:
        return [sentence]
    pieces: list[str] = []
    current = ""
    for word in sentence.split():
        while len(word) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        joined = f"{current} {word}" if current else word
        if len(joined) <= limit:
            current = joined
        else:
            pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces

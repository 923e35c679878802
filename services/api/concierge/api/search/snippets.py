"""Snippets and titles: the text ``ts_headline`` marked, cut at sentence boundaries.

``ts_headline`` (``HighlightAll``) returns the text with every match between two
control characters that cleaned document text never contains (``clean_text`` drops
them, and a stray one only toggles bold). The snippet is the sentence with the most
matches and the ones after it, up to ``SNIPPET_CHARS``: it starts where a sentence
starts ("В ноябре…", never "ноябре…"). A long sentence is cut between words, with "…".
Without a match (found by meaning) it is the document's opening.

A post without a title (a channel post) is shown with its first sentence as the title,
and its snippet then leaves that sentence out, so the two never repeat each other.

Everything between the marks is escaped, so document text can never inject markup:
the only tags in ``snippet_html`` are the ``<b>``/``</b>`` pairs made here, always
balanced.
"""

from __future__ import annotations

import html
import re

START, STOP = "\x02", "\x03"
HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
SNIPPET_CHARS = 240
TITLE_CHARS = 120
_SPACES = re.compile(r"[ \t\r\f\v]+")
_MARKS = re.compile(f"([{START}{STOP}])")
# A sentence ends at . ! ? … followed by space and a capital, a digit, a quote or a
# bracket (a match mark may come first), and at a line break.
_SENTENCE_END = re.compile(rf"(?<=[.!?…])\s+(?=[{START}]?[\"«(\[A-ZА-ЯЁ0-9])|\s*\n\s*")


# A line of hashtags only ("#продам #велосипед #сочи") indexes a post; it says nothing.
_TAGS_ONLY = re.compile(rf"^(?:[{START}{STOP}]*#[{START}{STOP}]*\w+[{START}{STOP}]*[\s,]*)+$")


def is_tags(text: str) -> bool:
    return bool(_TAGS_ONLY.match(text.strip()))


def _tidy(text: str) -> str:
    return " ".join(text.split())


def plain(marked: str) -> str:
    return _tidy(marked.replace(START, "").replace(STOP, ""))


def has_match(marked: str) -> bool:
    return START in marked


def sentences(marked: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(marked) if part and part.strip()]


def _cut(marked: str, limit: int) -> str:
    """The start of a marked text with at most ``limit`` visible characters, cut between
    words (a mark left open is closed by ``to_html``)."""
    visible = 0
    for position, char in enumerate(marked):
        if char in (START, STOP):
            continue
        visible += 1
        if visible > limit:
            head = marked[:position]
            space = head.rfind(" ")
            if space > position // 2:
                head = head[:space]
            return head.rstrip(" ,;:—-") + "…"
    return marked


def _around_first_match(marked: str, limit: int) -> str:
    """A long sentence whose first match is late: from a few words before it."""
    first = marked.find(START)
    if first == -1 or len(plain(marked[:first])) < limit - 60:
        return _cut(marked, limit)
    start = marked.rfind(" ", 0, max(first - 40, 0))
    return "…" + _cut(marked[start + 1 if start >= 0 else 0 :], limit - 1)


def snippet(marked: str, *, skip: str | None = None, limit: int = SNIPPET_CHARS) -> tuple[str, str]:
    """(plain text, HTML) of the best sentences; ``skip``: a title shown already, made
    of the first sentence."""
    parts = sentences(_SPACES.sub(" ", marked))
    parts = [part for part in parts if not is_tags(part)] or parts
    if skip and len(parts) > 1 and plain(parts[0]).startswith(skip.rstrip("…")):
        parts = parts[1:]
    if not parts:
        return "", ""
    counts = [part.count(START) for part in parts]
    best = max(range(len(parts)), key=lambda i: (counts[i], -i)) if any(counts) else 0
    chosen = [parts[best]]
    length = len(plain(parts[best]))
    for part in parts[best + 1 :]:
        extra = len(plain(part)) + 1
        if length + extra > limit:
            break
        chosen.append(part)
        length += extra
    text = " ".join(chosen)
    if len(plain(text)) > limit:
        text = _around_first_match(text, limit)
    return plain(text), to_html(text)


def display_title(title: str, marked: str) -> str:
    """The title, or for a document without one its first sentence (shortened)."""
    if title.strip():
        return title.strip()
    parts = sentences(marked)
    return plain(_cut(parts[0], TITLE_CHARS)) if parts else ""


def to_html(marked: str) -> str:
    """Escape every piece of text; matches become ``<b>…</b>``, never unbalanced."""
    parts: list[str] = []
    bold = False
    for piece in _MARKS.split(_tidy(marked)):
        if piece == START:
            if not bold:
                parts.append("<b>")
                bold = True
        elif piece == STOP:
            if bold:
                parts.append("</b>")
                bold = False
        elif piece:
            parts.append(html.escape(piece, quote=False))
    if bold:
        parts.append("</b>")
    return "".join(parts).replace("<b></b>", "")

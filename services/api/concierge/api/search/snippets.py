"""Snippets: Postgres's ``ts_headline`` output turned into plain text and safe HTML.

``ts_headline`` marks matches with two control characters that cleaned document
text never contains (``clean_text`` drops them, and a stray one only toggles
bold). Everything between the marks is escaped, so document text can never
inject markup: the only tags in ``snippet_html`` are the ``<b>``/``</b>`` pairs
made here, always balanced.
"""

from __future__ import annotations

import html
import re

START, STOP = "\x02", "\x03"
# Fragments around the matches; a document that does not match (a vector-only hit)
# gets its lead instead, cut at a word boundary.
HEADLINE_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=22, MinWords=10, ShortWord=2, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
LEAD_CHARS = 240
_SPACES = re.compile(r"\s+")
_MARKS = re.compile(f"([{START}{STOP}])")


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def lead(text: str, limit: int = LEAD_CHARS) -> str:
    """The start of the text, at most ``limit`` characters, cut between words."""
    text = _tidy(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:—-")
    return f"{cut}…"


def has_match(headline: str) -> bool:
    return START in headline


def plain(headline: str) -> str:
    return _tidy(headline.replace(START, "").replace(STOP, ""))


def to_html(headline: str) -> str:
    """Escape every piece of text; matches become ``<b>…</b>``, never unbalanced."""
    parts: list[str] = []
    bold = False
    for piece in _MARKS.split(_tidy(headline)):
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

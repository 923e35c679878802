"""Clean text from feeds, pages and posts into one canonical form.

HTML tags and entities are removed, Unicode is NFKC-normalised, control
characters (NUL included) are dropped and whitespace is collapsed; paragraph
breaks survive as single newlines so snippets stay readable.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

_BLOCK_TAGS = re.compile(
    r"</?(p|div|br|li|ul|ol|h[1-6]|blockquote|pre|tr|table|section|article)\b[^>]*>", re.I
)
_SCRIPTS = re.compile(r"<(script|style|noscript)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_COMMENTS = re.compile(r"<!--.*?-->", re.S)
_TAGS = re.compile(r"<[^>]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_WORDS = re.compile(r"\w+", re.U)


def strip_html(text: str) -> str:
    text = _COMMENTS.sub(" ", _SCRIPTS.sub(" ", text))
    text = _BLOCK_TAGS.sub("\n", text)
    return html.unescape(_TAGS.sub(" ", text))


def clean_text(text: str, *, is_html: bool = False) -> str:
    """Canonical, readable text: no markup, no control characters, tidy whitespace."""
    if is_html or "<" in text:
        text = strip_html(text)
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()


def fold(text: str) -> str:
    """Lower-cased with ё folded to е: the form compared for duplicates."""
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    return _WORDS.findall(fold(text))


def content_hash(text: str) -> str:
    """SHA-256 of the folded words: equal for texts that differ only in case and spacing."""
    return hashlib.sha256(" ".join(words(text)).encode()).hexdigest()

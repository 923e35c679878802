"""Language of a text: Russian, English, or another one ("other")."""

from __future__ import annotations

import re

from py3langid.langid import classify

SUPPORTED = ("ru", "en")
_CYRILLIC = re.compile(r"[а-яё]", re.I)
_LATIN = re.compile(r"[a-z]", re.I)
# Below this many letters the statistical model guesses; the script decides instead.
_SHORT = 24


def detect_language(text: str) -> str:
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic + latin == 0:
        return "other"
    if cyrillic + latin < _SHORT:
        return "ru" if cyrillic >= latin else "en"
    language, _ = classify(text)
    if language in SUPPORTED:
        return str(language)
    # A close relative (uk, bg, be…) goes through the Russian stemmer well enough.
    return "ru" if cyrillic > latin else "other"

"""A message from someone looking for something ("Ищу недорогую квартиру у моря…", a
thousand characters of it) as a listing search.

Every word of a long message cannot be required of one listing, so the search gets its
content words (no want-words, no short or common ones), the first few of them: all
required when they are few, any of them (``or``, ranked by how many match) when more.
"""

from __future__ import annotations

import re

from concierge.bot.search.intent import WANTING

MAX_WORDS = 8
ALL_REQUIRED_UP_TO = 3


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD = re.compile(r"[^\W\d_][\w-]*|\d+", re.UNICODE)
COMMON = _words(
    """
    looking searching want wanna buy need for the and with near from that this some any
    please anyone someone who sells rent rents renting cheap price good
    для или что как кто где все всем привет здравствуйте пожалуйста подскажите может
    можно если чтобы очень буду будет есть нет без при под над про это этот эта эти
    сдаёт сдает сдают продаёт продает продают желательно недорого дёшево дешево рядом
    недорогую недорогой недорогая недорогое недорогие дешёвую дешевую хорошую хороший
    """
)


def listing_query(message: str) -> str:
    """The search words of a message that asks for something (the message itself when it
    has none)."""
    words: list[str] = []
    for word in _WORD.findall(message):
        key = word.lower().replace("ё", "е")
        if len(key) < 3 or key in COMMON or key in WANTING:
            continue
        if key not in (w.lower().replace("ё", "е") for w in words):
            words.append(word)
        if len(words) == MAX_WORDS:
            break
    if not words:
        return message.strip()[:200]
    joiner = " " if len(words) <= ALL_REQUIRED_UP_TO else " or "
    return joiner.join(words)

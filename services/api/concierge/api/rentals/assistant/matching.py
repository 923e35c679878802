"""The guest assistant without an LLM: hand-off triggers and answers matched from the
item's FAQ and house rules (and the ad's description). Only the landlord's own words
for this item are ever sent back, so nothing a guest writes can make it reveal anything
else; a question it cannot match is handed to the landlord.

Words are compared by a crude stem (lower case, ё → е, the first five letters), which
copes with Russian endings ("парковка" / "парковку" / "парковке") and English ones
("parking" / "park" does not match "parki": the FAQ's own wording helps).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Reason = Literal["asked", "complaint", "unsure"]

WORD = re.compile(r"[^\W_]+", re.UNICODE)
STEM = 5
MAX_QUERY_WORDS = 200  # a 10,000-character message is matched on its first words

STOP = frozenset(
    [
        "есть",
        "ли",
        "а",
        "и",
        "в",
        "во",
        "на",
        "не",
        "но",
        "да",
        "нет",
        "что",
        "как",
        "где",
        "когда",
        "какой",
        "какая",
        "какие",
        "какое",
        "можно",
        "нужно",
        "ли",
        "у",
        "вас",
        "вам",
        "нас",
        "мне",
        "меня",
        "я",
        "мы",
        "вы",
        "они",
        "он",
        "она",
        "это",
        "этот",
        "эта",
        "там",
        "тут",
        "здесь",
        "пожалуйста",
        "подскажите",
        "скажите",
        "здравствуйте",
        "добрый",
        "день",
        "вечер",
        "привет",
        "спасибо",
        "is",
        "are",
        "am",
        "the",
        "a",
        "an",
        "there",
        "do",
        "does",
        "can",
        "could",
        "i",
        "we",
        "you",
        "your",
        "my",
        "our",
        "it",
        "this",
        "that",
        "what",
        "where",
        "when",
        "how",
        "which",
        "please",
        "hello",
        "hi",
        "thanks",
        "thank",
        "any",
        "have",
        "has",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "be",
        "will",
        "would",
        "there's",
    ]
)

ASKED = re.compile(
    r"хозя|владел|собственник|арендодател|жив\w* человек|с человеком|оператор|менеджер|"
    r"позов|позвать|соедин|администратор|"
    r"\bhuman\b|real person|\bowner\b|landlord|\bhost\b|\bmanager\b|"
    r"talk to (a |the )?(person|someone)|"
    r"speak (to|with)",
    re.IGNORECASE,
)
COMPLAINT = re.compile(
    r"жалоб|пожалуюсь|пожаловать|ужас|кошмар|грязн|сломан|не работает|обман|верните|возврат|"
    r"отвратит|безобрази|претензи|"
    r"complain|dirty|broken|refund|terrible|awful|disgust|not working|doesn't work|scam",
    re.IGNORECASE,
)
BOOKING = re.compile(
    r"брон|заезд|выезд|засел|мои дат|на какие дат|reservation|booking|check.?in|check.?out|"
    r"my dates",
    re.IGNORECASE,
)


def words(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("ё", "е"))


def stems(text: str, *, limit: int | None = None) -> set[str]:
    found = [w for w in words(text) if w not in STOP and not w.isdigit() and len(w) > 2]
    return {w[:STEM] for w in found[:limit]}


def handoff_reason(text: str) -> Reason | None:
    """Asked for the landlord, or a complaint; None otherwise."""
    if COMPLAINT.search(text):
        return "complaint"
    if ASKED.search(text):
        return "asked"
    return None


def asks_booking(text: str) -> bool:
    return BOOKING.search(text) is not None


@dataclass(frozen=True)
class Fact:
    """A piece of the landlord's text an answer may quote: an FAQ entry (its question
    is matched, its answer sent) or a line of the house rules or description."""

    match: str
    answer: str
    weight: float = 1.0


def facts_of(faq: list[tuple[str, str]], house_rules: str, description: str) -> list[Fact]:
    facts = [Fact(f"{q} {a}", a, 1.2) for q, a in faq]
    for source, weight in ((house_rules, 1.0), (description, 0.8)):
        for line in re.split(r"\n+|(?<=[.!?])\s+", source):
            line = line.strip(" \t-•*")
            if line:
                facts.append(Fact(line, line, weight))
    return facts


def best_answer(question: str, facts: list[Fact], threshold: float = 0.5) -> str | None:
    """The fact that covers most of the question's words (at least ``threshold`` of
    them, and one at least), or None."""
    asked = stems(question, limit=MAX_QUERY_WORDS)
    if not asked:
        return None
    best: tuple[float, str] | None = None
    for fact in facts:
        overlap = len(asked & stems(fact.match))
        if not overlap:
            continue
        score = overlap / len(asked) * fact.weight
        if best is None or score > best[0]:
            best = (score, fact.answer)
    if best is None or best[0] < threshold:
        return None
    return best[1]


def is_cyrillic(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("а" <= c.lower() <= "я" or c in "ёЁ" for c in letters) * 2 >= len(
        letters
    )

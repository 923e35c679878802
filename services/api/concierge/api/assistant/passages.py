"""Passages from retrieved documents, and the extractive answer built from them.

Words are compared by a crude stem (folded, the first five letters), enough to
match "аренды" with "аренда" or "booking" with "booked" without a stemmer.

A question asks for a kind of fact: a price ("сколько стоит…", "how much…"), a time
("когда…", "when…") or a number ("сколько…", "how many…"). A sentence that holds that
kind of fact (an amount with its currency, a date or a time, a number) scores more (a
price per unit more still), and for a price the words of prices ("ставка",
"стоимость", "fee"…) count as the question's: "Ставка — 2%… не меньше 100 ₽ за сутки"
answers "сколько стоит курортный сбор?" though it shares none of its words. A document in
another language than the question shares no words with it: there only the kind of fact
counts ("сколько стоит тариф StreamVale?" → "…from $11.99 to $13.99 a month"). A line of
hashtags answers nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from concierge.contracts.search import SourceRef
from concierge.text.language import detect_language
from concierge.text.normalize import words

STEM = 5
MIN_WORD = 3
PASSAGE_CHARS = 700
SENTENCE_CHARS = 400
ANSWER_SENTENCES = 3
_STOPWORDS = (
    "the and for are was were with that this what when where which who how why from into "
    "about does did have has had can could would should will you your our their there them "
    "they its not but all any some more most than then also just only very much many "
    "как что это где когда кто какой какая какие каких почему зачем или для при про без над "
    "под его она они оно был была были было есть нет так там тут уже еще ещё очень можно "
    "нужно надо сколько чем чего кого ли же бы"
)
STOPWORDS = frozenset(_STOPWORDS.split())
FACT_BONUS = 2  # a sentence holding the kind of fact asked for
_PRICE_QUESTION = re.compile(
    r"сколько\s+сто|стоимост|\bцен[аыуе]?\b|почём|почем|how much|\bprice|\bcost|\bfee\b|\bfare",
    re.IGNORECASE,
)
_TIME_QUESTION = re.compile(
    r"\bкогда\b|во сколько|с какого|до какого|\bwhen\b|what time|what date", re.IGNORECASE
)
_COUNT_QUESTION = re.compile(r"\bсколько\b|how many|how long|how far|how often", re.IGNORECASE)
_MONEY = re.compile(
    r"\d[\d\s\u00a0\u202f.,]*\s?(?:₽|руб|р\.|\$|€|£|eur\b|usd\b|rub\b|%|тыс|млн|млрд)"
    r"|[$€£]\s?\d",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s+(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|"
    r"сентябр|октябр|ноябр|декабр|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"|\b(?:19|20)\d{2}\b|понедельник|вторник|сред[уа]|четверг|пятниц|суббот|воскресен"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")
# A price per unit ("за сутки", "per night") is what "how much does it cost" asks for.
_PER_UNIT = re.compile(
    r"\b(?:за|в)\s+(?:сутки|ночь|день|час|месяц|год|человека|штуку|кг)\b"
    r"|\bper\s+(?:night|day|hour|month|year|person|kg)\b|\ba\s+(?:night|day|month)\b",
    re.IGNORECASE,
)
_PRICE_WORDS = "цена стоит стоимость ставка тариф сбор плата оплата price cost fee rate fare charge"
_TAGS_ONLY = re.compile(r"^(?:#\w+[\s,]*)+$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"«(\[A-ZА-ЯЁ0-9])|\n+")


def stems(text: str) -> set[str]:
    return {w[:STEM] for w in words(text) if len(w) >= MIN_WORD and w not in STOPWORDS}


PRICE_STEMS = frozenset(stems(_PRICE_WORDS))


def sentences(text: str) -> list[str]:
    """The text's sentences; lines of hashtags only are no sentences."""
    found = [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]
    return [part for part in found if not _TAGS_ONLY.match(part)] or found


@dataclass(frozen=True)
class Question:
    """What a question shares with a sentence, and the kind of fact it asks for."""

    wanted: set[str]
    fact: re.Pattern[str] | None
    price: bool

    @classmethod
    def of(cls, text: str) -> Question:
        price = bool(_PRICE_QUESTION.search(text))
        if price:
            fact: re.Pattern[str] | None = _MONEY
        elif _TIME_QUESTION.search(text):
            fact = _TIME
        elif _COUNT_QUESTION.search(text):
            fact = _NUMBER
        else:
            fact = None
        return cls(stems(text), fact, price)

    def score_across(self, sentence: str) -> int:
        """A sentence in another language than the question shares no words with it:
        only the kind of fact asked for can be looked for."""
        if self.fact is None or not self.fact.search(sentence):
            return 0
        return FACT_BONUS + (1 if self.price and _PER_UNIT.search(sentence) else 0)

    def score(self, sentence: str) -> int:
        """Words shared (the words of prices count as the question's), and the bonus
        for holding the kind of fact asked for; 0 when the sentence has neither."""
        found = stems(sentence)
        shared = len(found & self.wanted)
        if self.price and found & PRICE_STEMS and not found & PRICE_STEMS & self.wanted:
            shared += 1
        if self.fact is not None and self.fact.search(sentence) and shared:
            shared += FACT_BONUS
            if self.price and _PER_UNIT.search(sentence):
                shared += 1
        return shared


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:—-") + "…"


@dataclass(frozen=True)
class Passage:
    n: int  # its number in the prompt and in the answer's citations, from 1
    document_id: int
    title: str
    url: str | None
    source: SourceRef | None
    published_at: datetime
    text: str  # the part of the document that best matches the question
    language: str = ""  # the document's


def best_window(question: str, text: str, limit: int = PASSAGE_CHARS, *, language: str = "") -> str:
    """The run of sentences around the one sharing most words with the question (in a
    document of another ``language``: holding the kind of fact asked for)."""
    parts = sentences(text) or [text]
    asked = Question.of(question)
    across = bool(language) and language != detect_language(question)
    scores = [asked.score_across(p) if across else asked.score(p) for p in parts]
    best = max(range(len(parts)), key=lambda i: (scores[i], -i))
    start, end = best, best + 1
    length = len(parts[best])
    while length < limit and (start > 0 or end < len(parts)):
        # Grow towards the more relevant neighbour; ties go forward (context follows).
        forward = scores[end] if end < len(parts) else -1
        backward = scores[start - 1] if start > 0 else -1
        if forward >= backward:
            length += len(parts[end]) + 1
            end += 1
        else:
            start -= 1
            length += len(parts[start]) + 1
    return _shorten(" ".join(parts[start:end]), limit)


@dataclass(frozen=True)
class Extract:
    passage: Passage
    sentence: str


def extract(question: str, passages: list[Passage]) -> list[Extract]:
    """The sentences that best answer the question: most question words shared, from
    better-ranked documents first, at most two per document, in ranking order."""
    asked = Question.of(question)
    language = detect_language(question)
    candidates: list[tuple[float, int, int, Extract]] = []
    for rank, passage in enumerate(passages):
        across = bool(passage.language) and passage.language != language
        for position, sentence in enumerate(sentences(passage.text)):
            overlap = asked.score_across(sentence) if across else asked.score(sentence)
            if overlap:
                score = overlap - 0.1 * rank
                candidates.append((score, rank, position, Extract(passage, sentence)))
    candidates.sort(key=lambda item: (-item[0], item[1], item[2]))
    # Sentences sharing less than half of what the best one shares only dilute it.
    floor = candidates[0][0] / 2 if candidates else 0
    chosen: list[tuple[int, int, Extract]] = []
    per_document: dict[int, int] = {}
    for score, rank, position, item in candidates:
        if score < floor:
            break
        if per_document.get(item.passage.n, 0) >= 2:
            continue
        per_document[item.passage.n] = per_document.get(item.passage.n, 0) + 1
        chosen.append((rank, position, item))
        if len(chosen) == ANSWER_SENTENCES:
            break
    if not chosen:  # found by meaning only: the best document's opening
        first = passages[0]
        return [Extract(first, (sentences(first.text) or [first.text])[0])]
    return [item for _, _, item in sorted(chosen, key=lambda c: (c[0], c[1]))]


def citation_numbers(cited: list[int]) -> dict[int, int]:
    """Passage number → the number its citation shows: 1, 2, 3… in order of first
    mention, so an answer never cites [2] and [3] without a [1]."""
    numbers: dict[int, int] = {}
    for n in cited:
        numbers.setdefault(n, len(numbers) + 1)
    return numbers


def extractive_text(extracts: list[Extract]) -> str:
    """The sentences in order, each run of sentences from one passage cited once, the
    citations numbered from 1 in order of appearance."""
    numbers = citation_numbers([item.passage.n for item in extracts])
    parts: list[str] = []
    for i, item in enumerate(extracts):
        parts.append(_shorten(item.sentence, SENTENCE_CHARS))
        following = extracts[i + 1] if i + 1 < len(extracts) else None
        if following is None or following.passage.n != item.passage.n:
            parts[-1] += f" [{numbers[item.passage.n]}]"
    return " ".join(parts)

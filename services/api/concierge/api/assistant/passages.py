"""Passages from retrieved documents, and the extractive answer built from them.

Words are compared by a crude stem (folded, the first five letters), enough to
match "аренды" with "аренда" or "booking" with "booked" without a stemmer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from concierge.contracts.search import SourceRef
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
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"«(\[A-ZА-ЯЁ0-9])|\n+")


def stems(text: str) -> set[str]:
    return {w[:STEM] for w in words(text) if len(w) >= MIN_WORD and w not in STOPWORDS}


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


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


def best_window(question: str, text: str, limit: int = PASSAGE_CHARS) -> str:
    """The run of sentences around the one sharing most words with the question."""
    parts = sentences(text) or [text]
    wanted = stems(question)
    scores = [len(stems(part) & wanted) for part in parts]
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
    wanted = stems(question)
    candidates: list[tuple[float, int, int, Extract]] = []
    for rank, passage in enumerate(passages):
        for position, sentence in enumerate(sentences(passage.text)):
            overlap = len(stems(sentence) & wanted)
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


def extractive_text(extracts: list[Extract]) -> str:
    """The sentences in order, each run of sentences from one passage cited once."""
    parts: list[str] = []
    for i, item in enumerate(extracts):
        parts.append(_shorten(item.sentence, SENTENCE_CHARS))
        following = extracts[i + 1] if i + 1 < len(extracts) else None
        if following is None or following.passage.n != item.passage.n:
            parts[-1] += f" [{item.passage.n}]"
    return " ".join(parts)

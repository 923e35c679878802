"""The full-text arm's plan: which of the query's words find documents, and how much
each counts.

A query of plain words is matched by its *rarest* words: taken from the rarest up,
while the documents holding them (estimated from the planner's statistics of
``documents.tsv``) fit ``budget``, and at least one; plus every word together. A common
word ("квартира", "the") alone would match a large part of the table, and ranking reads
each match; the rarer words find the same relevant documents (a document about the
query holds its distinctive words), so the pool stays small and no relevant document
is lost for being old. Every word still counts in the ranking.

A matched document must hold enough of the query (``coverage``): the words it holds,
each weighted by its rarity (``log(1 + N / (df + 1))``), as a share of all the query's
words. A word no document holds weighs most: "the capital of Peru" finds nothing in a
corpus that never mentions Peru, not every post with "capital". A query written in
websearch syntax (quotes, ``-word``, ``or``) is taken as written, without coverage.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from concierge.api.search.repository import FtsArm, QueryWord, WordStatistics

# websearch syntax the user typed on purpose: "a phrase", -excluded, or
_OPERATORS = re.compile(r'"|(?:^|\s)-\w|(?:^|\s)or(?:\s|$)', re.IGNORECASE)
_TOKEN = re.compile(r"\S+")
_NEGATIONS = re.compile(r"-{2,}")
# Words the full-text arm looks at; the vector arm reads the whole query. Postgres
# refuses deep nests of negations ("tsquery stack too small"), so runs of "-" are one
# "-" and the number of words is bounded.
MAX_TERMS = 32


def has_syntax(query: str) -> bool:
    return bool(_OPERATORS.search(query))


def written_query(query: str) -> str:
    """A query in websearch syntax, bounded (``websearch_to_tsquery`` reads it)."""
    return " ".join(_TOKEN.findall(_NEGATIONS.sub("-", query))[:MAX_TERMS])


def quoted(lexeme: str) -> str:
    """A lexeme as a tsquery of its own (cast from text: no configuration parses it)."""
    return "'" + lexeme.replace("'", "''") + "'"


@dataclass(frozen=True)
class TermStatistics:
    """How many documents hold a word, from the planner's statistics."""

    statistics: WordStatistics

    def documents(self, word: QueryWord) -> float:
        if not word.known:
            return 0.0
        share = self.statistics.shares.get(word.lexeme)
        if share is None:  # rarer than every word the statistics list
            share = self.statistics.least_share / 2
        return max(share * self.statistics.documents, 1.0)

    def weight(self, word: QueryWord) -> float:
        return math.log(1 + max(self.statistics.documents, 1.0) / (self.documents(word) + 1))


def plan_words(
    words: Sequence[QueryWord],
    stats: TermStatistics,
    *,
    budget: float,
    min_coverage: float,
    weight: float = 1.0,
) -> FtsArm | None:
    """The arm for a query of plain words; None when no document holds any of them."""
    words = list({word.lexeme: word for word in words}.values())[:MAX_TERMS]
    known = [word for word in words if word.known]
    if not known:
        return None
    picked: list[QueryWord] = []
    total = 0.0
    for word in sorted(known, key=stats.documents):
        if picked and total + stats.documents(word) > budget:
            break
        picked.append(word)
        total += stats.documents(word)
    match = [quoted(word.lexeme) for word in picked]
    if len(picked) < len(known):
        match.append("(" + " & ".join(quoted(word.lexeme) for word in known) + ")")
    weights = [stats.weight(word) for word in words]
    mass = sum(weights) or 1.0
    return FtsArm(
        match=" | ".join(match),
        rank=" | ".join(quoted(word.lexeme) for word in known),
        words=[quoted(word.lexeme) for word in words],
        weights=[weight / mass for weight in weights],
        min_coverage=min_coverage if len(words) > 1 else 0.0,
        weight=weight,
    )

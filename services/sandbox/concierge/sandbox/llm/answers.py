"""The stand-in's replies: deterministic, built from the numbered passages it is given.

A prompt that quotes passages as ``[1] heading`` followed by the passage text gets
an answer made of each of the first passages' opening sentence, cited ``[n]``; a
prompt without passages gets a sentence that cites nothing. Same prompt, same
answer, so tests can compare.
"""

from __future__ import annotations

import re

CITED_PASSAGES = 2
_PASSAGE = re.compile(r"^\[(\d{1,3})\][^\n]*\n(.+?)(?=\n\s*\n|\Z)", re.MULTILINE | re.DOTALL)
_SENTENCE = re.compile(r"(.+?[.!?…])(?:\s|$)", re.DOTALL)


def first_sentence(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    match = _SENTENCE.match(text)
    sentence = match[1] if match else text
    return sentence if len(sentence) <= limit else sentence[:limit].rsplit(" ", 1)[0] + "…"


def passages(prompt: str) -> list[tuple[int, str]]:
    return [(int(match[1]), match[2].strip()) for match in _PASSAGE.finditer(prompt)]


def answer(prompt: str) -> str:
    found = passages(prompt)[:CITED_PASSAGES]
    if not found:
        return "I have no passages to answer from."
    return " ".join(f"{first_sentence(text)} [{number}]" for number, text in found)


def count_tokens(text: str) -> int:
    """Roughly what a tokenizer would say (usage figures only)."""
    return max(1, len(text) // 4)

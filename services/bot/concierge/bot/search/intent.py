"""What a plain text message asks for, without an LLM.

- a question (a question mark, or a question word among the first three) gets an
  answer;
- a greeting or thanks gets a friendly reply with the menu;
- a word that names a menu item opens it;
- anything else of up to a dozen words is a search; longer text is treated as a
  question, since nobody types forty keywords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


class Intent(StrEnum):
    SEARCH = "search"
    QUESTION = "question"
    GREETING = "greeting"
    MENU = "menu"
    HELP = "help"
    LANGUAGE = "language"


QUESTION_WORDS = _wordset(
    """
    кто что где когда куда откуда почему зачем как какой какая какое какие каков
    сколько чей чья чьё чье чьи ли можно нужно стоит правда разве неужели
    who what where when why how which whose whom is are was were do does did can
    could should would will shall may might
    подскажи подскажите скажи скажите расскажи расскажите объясни объясните
    tell explain
    """
)
GREETINGS = _wordset(
    """
    привет здравствуйте здравствуй добрый доброе хай салют спасибо благодарю пока
    hi hello hey thanks thank thx bye morning evening
    """
)
MENU_WORDS = {
    "меню": Intent.MENU, "menu": Intent.MENU, "start": Intent.MENU, "начать": Intent.MENU,
    "помощь": Intent.HELP, "help": Intent.HELP, "справка": Intent.HELP,
    "язык": Intent.LANGUAGE, "language": Intent.LANGUAGE,
}  # fmt: skip
MAX_SEARCH_WORDS = 12
QUESTION_WORD_WINDOW = 3  # "привет, подскажи, где…": the question word need not be first
_ONLY_PUNCTUATION = re.compile(r"^\W*$")
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("ё", "е"))


@dataclass(frozen=True)
class Classified:
    intent: Intent
    text: str


def classify(message: str) -> Classified:
    stripped = message.strip()
    tokens = words(stripped)
    if not tokens or _ONLY_PUNCTUATION.match(stripped):
        return Classified(Intent.HELP, stripped)
    if len(tokens) == 1 and tokens[0] in MENU_WORDS:
        return Classified(MENU_WORDS[tokens[0]], stripped)
    if stripped.endswith("?") or QUESTION_WORDS.intersection(tokens[:QUESTION_WORD_WINDOW]):
        return Classified(Intent.QUESTION, stripped.rstrip("?").strip() or stripped)
    if tokens[0] in GREETINGS and len(tokens) <= 4:
        return Classified(Intent.GREETING, stripped)
    if len(tokens) > MAX_SEARCH_WORDS:
        return Classified(Intent.QUESTION, stripped)
    return Classified(Intent.SEARCH, stripped)

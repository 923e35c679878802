"""What a plain text message asks for, without an LLM.

- someone looking for something to buy or rent ("ищу…", "looking for…" among the first
  words) searches the listings, however long the message;
- a question (a question mark, or a question word among the first three) gets an
  answer;
- a greeting gets a friendly reply with the menu; thanks and goodbyes get theirs;
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
    THANKS = "thanks"
    GOODBYE = "goodbye"


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
    привет здравствуйте здравствуй добрый доброе хай салют
    hi hello hey morning evening
    """
)
THANKS = _wordset("спасибо спс благодарю пасиб thanks thank thx ty")
GOODBYES = _wordset("пока досвидания bye goodbye cya")
# Someone who wants to buy or rent: a listing search, whatever its length.
WANTING = _wordset(
    """
    ищу ищем куплю купим нужен нужна нужны требуется разыскиваю сниму снимем
    """
)
WANTING_PHRASES = ("looking for", "searching for", "want to buy", "wanna buy", "need a ", "wtb ")
WANT_WORD_WINDOW = 3
GREETING_WORDS = 6  # "спасибо большое за помощь!" is still thanks
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
    listings: bool = False  # a search of the market's listings only


def _wanting(text: str, tokens: list[str]) -> bool:
    lowered = " ".join(text.lower().split())
    return bool(WANTING.intersection(tokens[:WANT_WORD_WINDOW])) or any(
        phrase in lowered[:40] for phrase in WANTING_PHRASES
    )


def classify(message: str) -> Classified:
    stripped = message.strip()
    tokens = words(stripped)
    if not tokens or _ONLY_PUNCTUATION.match(stripped):
        return Classified(Intent.HELP, stripped)
    if len(tokens) == 1 and tokens[0] in MENU_WORDS:
        return Classified(MENU_WORDS[tokens[0]], stripped)
    if _wanting(stripped, tokens):
        return Classified(Intent.SEARCH, stripped, listings=True)
    if stripped.endswith("?") or QUESTION_WORDS.intersection(tokens[:QUESTION_WORD_WINDOW]):
        return Classified(Intent.QUESTION, stripped.rstrip("?").strip() or stripped)
    if len(tokens) <= GREETING_WORDS:
        for words_of, intent in ((THANKS, Intent.THANKS), (GOODBYES, Intent.GOODBYE)):
            if tokens[0] in words_of:
                return Classified(intent, stripped)
    if tokens[0] in GREETINGS and len(tokens) <= 4:
        return Classified(Intent.GREETING, stripped)
    if len(tokens) > MAX_SEARCH_WORDS:
        return Classified(Intent.QUESTION, stripped)
    return Classified(Intent.SEARCH, stripped)

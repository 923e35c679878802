"""Every message the market desk sends exists in Russian and English, with the same
placeholders, and the Russian one is Russian."""

from __future__ import annotations

import re
import string
from types import ModuleType

from concierge.api.market import notifications
from concierge.contracts.identity import Language

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def check_both_languages(module: ModuleType, *more: str) -> None:
    """Every text of a desk's notifications module in both languages (and ``more``),
    with the same placeholders, Russian in Russian; and every text of the module in its
    ALL_TEXTS."""
    assert module.ALL_TEXTS
    for texts in module.ALL_TEXTS:
        assert set(texts) == set(Language) | set(more), texts
        english, russian = texts[Language.EN], texts[Language.RU]
        for other in more:
            assert texts[other].strip()
            assert placeholders(texts[other]) == placeholders(english), texts
            assert not CYRILLIC.search(texts[other]), texts[other]
        assert english.strip()
        assert russian.strip()
        assert placeholders(english) == placeholders(russian), texts
        assert CYRILLIC.search(russian), russian
        assert not CYRILLIC.search(english), english
    listed = {id(texts) for texts in module.ALL_TEXTS}
    for name, value in vars(module).items():
        if isinstance(value, dict) and set(value) >= set(Language):
            assert id(value) in listed, name


def test_every_text_in_both_languages_and_in_the_list() -> None:
    check_both_languages(notifications)

"""The media desk's texts: the same keys and placeholders in Russian and English, Russian
in Russian and none in English (what both languages write alike excepted)."""

from __future__ import annotations

import re
import string

import pytest

from concierge.bot.media.texts import MEDIA
from concierge.contracts.identity import Language

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
SAME_IN_BOTH = {"refused"}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_same_keys() -> None:
    assert MEDIA[Language.RU].keys() == MEDIA[Language.EN].keys()


@pytest.mark.parametrize("key", sorted(MEDIA[Language.EN]))
def test_the_same_placeholders_and_each_in_its_language(key: str) -> None:
    english, russian = MEDIA[Language.EN][key], MEDIA[Language.RU][key]
    assert placeholders(english) == placeholders(russian)
    assert not CYRILLIC.search(english), english
    if key not in SAME_IN_BOTH:
        assert CYRILLIC.search(russian), russian

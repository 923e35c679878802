"""Replies longer than Avito's 1,000 characters, cut into messages Avito accepts."""

from __future__ import annotations

import pytest

from concierge.avito.split import split_message


@pytest.mark.parametrize(
    "text",
    [
        "Парковка во дворе. " * 200,
        "Check-in is from 14:00! Is that fine? " * 120,
        "строка\n" * 400,
        "🏠" * 2500,
        "x" * 3001,
        "слово " * 900,
        "Ok. " + "y" * 1500 + " end.",
    ],
)
def test_every_part_fits_and_nothing_is_lost(text: str) -> None:
    parts = split_message(text)
    assert all(0 < len(part) <= 1000 for part in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == (
        text.replace(" ", "").replace("\n", "")
    )


def test_short_text_is_one_part_and_sentences_are_kept_whole() -> None:
    assert split_message("  Добро пожаловать!  ") == ["Добро пожаловать!"]
    assert split_message("   ") == []
    sentence = "Ключи в почтовом ящике, код 1234. "
    parts = split_message(sentence * 50)
    assert all(part.endswith(".") for part in parts)

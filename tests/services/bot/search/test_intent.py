from __future__ import annotations

import pytest

from concierge.bot.search.intent import Intent, classify


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("квартира у моря в Сочи", Intent.SEARCH),
        ("iPhone 13 Berlin", Intent.SEARCH),
        ("Stels Navigator 700", Intent.SEARCH),
        ("где снять квартиру у моря на неделю", Intent.QUESTION),
        ("сколько стоит туристический налог в Сочи?", Intent.QUESTION),
        ("Which phone under 300 euros is sold in Berlin", Intent.QUESTION),
        ("is the Bürgeramt open on Saturday", Intent.QUESTION),
        ("кондиционер?", Intent.QUESTION),
        ("Привет!", Intent.GREETING),
        ("thanks a lot", Intent.GREETING),
        ("меню", Intent.MENU),
        ("Help", Intent.HELP),
        ("язык", Intent.LANGUAGE),
        ("?!", Intent.HELP),
        ("   ", Intent.HELP),
        ("🙂", Intent.HELP),
        (" ".join(["слово"] * 20), Intent.QUESTION),
        ("привет, подскажи где найти велосипед Stels недорого в Москве", Intent.QUESTION),
    ],
)
def test_classify(message: str, intent: Intent) -> None:
    assert classify(message).intent == intent


def test_a_question_mark_is_dropped_from_the_question() -> None:
    assert classify("сколько стоит налог?").text == "сколько стоит налог"

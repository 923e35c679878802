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
        ("thanks a lot", Intent.THANKS),
        ("спасибо", Intent.THANKS),
        ("Спасибо большое за помощь!", Intent.THANKS),
        ("пока", Intent.GOODBYE),
        ("bye!", Intent.GOODBYE),
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


@pytest.mark.parametrize(
    "message",
    [
        "Ищу недорогую квартиру у моря, кто сдаёт?",
        "привет, ищу велосипед",
        "нужен детский велосипед",
        "Looking for a kids bike in Berlin",
        "Ищу недорогую квартиру у моря в Сочи, желательно с балконом. " * 16,  # ~1,000 chars
    ],
)
def test_someone_looking_for_something_searches_the_listings(message: str) -> None:
    classified = classify(message)
    assert (classified.intent, classified.listings) == (Intent.SEARCH, True)


def test_other_searches_are_of_everything() -> None:
    assert classify("квартира у моря в Сочи").listings is False


def test_a_question_mark_is_dropped_from_the_question() -> None:
    assert classify("сколько стоит налог?").text == "сколько стоит налог"

"""A long message from someone looking for something, as a listing search."""

from __future__ import annotations

from concierge.bot.market.wanted import MAX_WORDS, listing_query

LONG = (
    "Ищу недорогую квартиру у моря в Сочи, желательно с балконом и видом на море, "
    "на весь июль, можно с животными. "
) * 8


def test_a_long_message_becomes_any_of_its_first_content_words() -> None:
    assert len(LONG) > 800
    query = listing_query(LONG)
    words = query.split(" or ")
    assert words[:3] == ["квартиру", "моря", "Сочи"]
    assert len(words) == MAX_WORDS
    assert "Ищу" not in words
    assert "недорогую" not in words


def test_a_few_words_are_all_required() -> None:
    assert listing_query("ищу велосипед Stels") == "велосипед Stels"
    assert listing_query("Looking for a kids bike") == "kids bike"


def test_a_message_of_common_words_only_is_kept() -> None:
    assert listing_query("ищу что-нибудь") == "что-нибудь"
    assert listing_query("ищу") == "ищу"

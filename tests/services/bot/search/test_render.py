from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from concierge.bot.search.render import (
    MESSAGE_LIMIT,
    _trim_html_snippet,
    answer_message,
    listing_buttons,
    price_text,
    search_message,
    split_message,
)
from concierge.contracts.identity import Language
from concierge.contracts.search import Answer, Citation, SearchHit, SearchPage, SourceRef

WHEN = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
SOURCE = SourceRef(id=3, kind="rss", title="City <News> & Co")


def hit(n: int, **changes: object) -> SearchHit:
    data = {
        "id": n, "kind": "post", "title": f"Title {n}", "snippet": "a flat by the sea",
        "snippet_html": "a <b>flat</b> by the sea", "url": f"https://example.test/{n}",
        "source": SOURCE, "published_at": WHEN, "language": "en", "score": 0.5,
    }  # fmt: skip
    return SearchHit.model_validate({**data, **changes})


def page(*hits: SearchHit, query: str = "flat") -> SearchPage:
    return SearchPage(query=query, items=list(hits), next_cursor=None, took_ms=3.0)


class TestSearchMessage:
    def test_lists_results_with_source_date_and_link(self) -> None:
        body = search_message(page(hit(1), hit(2)), 1, Language.EN)
        assert '<b>1. <a href="https://example.test/1">Title 1</a></b>' in body
        assert "a <b>flat</b> by the sea" in body
        assert "City &lt;News&gt; &amp; Co · 03.11.2026" in body
        assert "<b>2." in body

    def test_numbers_continue_on_later_pages(self) -> None:
        assert "<b>6." in search_message(page(hit(1)), 6, Language.EN)

    def test_titles_and_queries_are_escaped(self) -> None:
        evil = hit(1, title="<script>alert(1)</script>", url="javascript:alert(1)")
        body = search_message(page(evil, query="<b>x</b>"), 1, Language.EN)
        assert "<script>" not in body
        assert "&lt;script&gt;" in body
        assert "javascript:" not in body
        assert "&lt;b&gt;x&lt;/b&gt;" in body

    def test_nothing_found_says_so_and_what_to_try(self) -> None:
        russian = search_message(page(), 1, Language.RU)
        assert "ничего не нашлось" in russian
        assert "Что можно попробовать" in russian
        assert "What you could try" in search_message(page(), 1, Language.EN)

    def test_an_unanswered_question_says_so_and_what_to_ask(self) -> None:
        nothing = Answer(question="what is the capital of Peru?", text="", citations=[],
                         mode="none")  # fmt: skip
        (english,) = answer_message(nothing, Language.EN)
        assert "capital of Peru" in english
        assert "I answer only from the posts" in english
        (russian,) = answer_message(nothing, Language.RU)
        assert "Попробуйте" in russian

    def test_duplicates_show_where_else(self) -> None:
        other = SourceRef(id=4, kind="telegram", title="Channel")
        assert "also in: Channel" in search_message(page(hit(1, also_in=[other])), 1, Language.EN)

    def test_a_page_always_fits_one_message(self) -> None:
        long = "word " * 2000
        hits = [hit(n, title=long, snippet=long, snippet_html=long) for n in range(50)]
        assert len(search_message(page(*hits), 1, Language.EN)) <= MESSAGE_LIMIT


class TestSnippetTrim:
    def test_never_breaks_an_entity_or_leaves_bold_open(self) -> None:
        assert _trim_html_snippet("abc &amp; def", 6) == "abc…"
        trimmed = _trim_html_snippet("x <b>flat by the sea</b>", 12)
        assert trimmed.count("<b>") == trimmed.count("</b>")
        assert _trim_html_snippet("ab<b>cd</b>", 4) == "ab…"


class TestAnswerMessage:
    def test_answer_with_numbered_sources(self) -> None:
        answer = Answer(
            question="q", text="Rent is 4500 ₽ a night [1].", mode="llm",
            citations=[Citation(n=1, document_id=7, title="Flat in <Adler>",
                                url="https://example.test/7", source=SOURCE,
                                published_at=WHEN, quote="…")],
        )  # fmt: skip
        (message,) = answer_message(answer, Language.EN)
        assert "Rent is 4500 ₽ a night [1]." in message
        assert '[1] <a href="https://example.test/7">Flat in &lt;Adler&gt;</a>' in message

    def test_model_output_is_escaped(self) -> None:
        answer = Answer(question="q", text="<a href='x'>click</a>", mode="llm", citations=[])
        assert "<a href='x'>" not in answer_message(answer, Language.EN)[0]

    def test_extractive_answers_say_so(self) -> None:
        answer = Answer(question="q", text="passage", mode="extractive", citations=[])
        assert "Самое подходящее" in answer_message(answer, Language.RU)[0]

    def test_nothing_to_answer(self) -> None:
        answer = Answer(question="why?", text="", mode="none", citations=[])
        assert "why?" in answer_message(answer, Language.EN)[0]


def test_split_keeps_every_part_under_the_limit() -> None:
    body = "\n\n".join("p" * 1000 for _ in range(10))
    parts = split_message(body)
    assert len(parts) > 2
    assert all(len(part) <= MESSAGE_LIMIT for part in parts)
    assert sum(part.count("p") for part in parts) == 10_000


WEBAPP = "https://bot.example/app/"


def listing_hit(n: int, listing_id: int, **changes: object) -> SearchHit:
    data = {"kind": "listing", "source": None, "url": None, "listing_id": listing_id,
            "price": "1500.00", "currency": "RUB", "city": "Moscow"}  # fmt: skip
    return hit(n, **{**data, **changes})


class TestListingResults:
    def test_a_listing_shows_its_price_and_city_instead_of_a_source(self) -> None:
        body = search_message(page(listing_hit(1, 42)), 1, Language.EN)
        assert "🛍 ₽1,500 · Moscow · 03.11.2026" in body
        assert "unknown source" not in body
        russian = search_message(page(listing_hit(1, 42)), 1, Language.RU)
        assert "🛍 1\u00a0500\u00a0₽ · Moscow · 03.11.2026" in russian

    @pytest.mark.parametrize(
        ("availability", "language", "shown"),
        [("sold", Language.EN, " · ✅ Sold"), ("reserved", Language.RU, " · 🔒 Забронировано")],
    )
    def test_a_sold_or_reserved_listing_says_so(
        self, availability: str, language: Language, shown: str
    ) -> None:
        body = search_message(page(listing_hit(1, 42, availability=availability)), 1, language)
        assert f"Moscow{shown} · 03.11.2026" in body

    def test_a_listings_title_and_city_cannot_inject_markup(self) -> None:
        evil = listing_hit(
            1, 42, title="<script>alert(1)</script> Sofa", city="<b>Town</b> & Co",
            snippet_html="&lt;script&gt;", snippet="<script>",
        )  # fmt: skip
        body = search_message(page(evil), 1, Language.EN)
        assert "<script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Sofa" in body
        assert "&lt;b&gt;Town&lt;/b&gt; &amp; Co" in body

    def test_each_listing_gets_a_button_numbered_like_its_result(self) -> None:
        results = page(hit(1), listing_hit(2, 42), hit(3), listing_hit(4, 7))
        rows = listing_buttons(results, 6, Language.EN, WEBAPP)
        buttons = [button for row in rows for button in row]
        assert [(b.text, b.web_app.url if b.web_app else None) for b in buttons] == [
            ("🛍 Open listing 7", f"{WEBAPP}?startapp=listing_42"),
            ("🛍 Open listing 9", f"{WEBAPP}?startapp=listing_7"),
        ]
        assert all(b.callback_data is None for b in buttons)

    def test_in_a_private_chat_each_listing_gets_write_to_its_seller(self) -> None:
        results = page(listing_hit(1, 42), listing_hit(2, 43, availability="sold"))
        rows = listing_buttons(results, 1, Language.RU, WEBAPP, contact=True)
        assert [[b.text for b in row] for row in rows] == [
            ["🛍 Объявление 1", "✉️ Продавцу 1"],
            ["🛍 Объявление 2"],  # sold: nobody to write to about it
        ]
        assert rows[0][1].callback_data == "lst:write:42"

    def test_no_mini_app_no_open_buttons(self) -> None:
        assert listing_buttons(page(listing_hit(1, 42)), 1, Language.EN, None) == []
        assert listing_buttons(page(hit(1)), 1, Language.EN, WEBAPP) == []
        rows = listing_buttons(page(listing_hit(1, 42)), 1, Language.EN, None, contact=True)
        assert [[b.text for b in row] for row in rows] == [["✉️ Write to seller 1"]]

    @pytest.mark.parametrize(
        ("price", "currency", "language", "expected"),
        [("1500.00", "RUB", Language.RU, "1\u00a0500\u00a0₽"),
         ("99.90", "EUR", Language.EN, "€99.90"),
         ("1234567.5", "USD", Language.EN, "$1,234,567.50"),
         ("12500", "RUB", Language.EN, "₽12,500")],
    )  # fmt: skip
    def test_prices(
        self, price: str, currency: str | None, language: Language, expected: str
    ) -> None:
        assert price_text(Decimal(price), currency, language) == expected

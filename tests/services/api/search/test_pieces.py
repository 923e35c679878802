"""The pure parts of search: the full-text arm's plan, cursors, snippets and titles."""

from __future__ import annotations

import pytest

from concierge.api.paging import CursorCodec, InvalidCursor
from concierge.api.search.cursor import SearchCursor
from concierge.api.search.repository import QueryWord, WordStatistics
from concierge.api.search.snippets import START, STOP, display_title, plain, snippet, to_html
from concierge.api.search.terms import (
    MAX_TERMS,
    TermStatistics,
    has_syntax,
    plan_words,
    quoted,
    written_query,
)
from concierge.contracts.search import SearchMode


def words(*pairs: tuple[str, bool]) -> list[QueryWord]:
    return [QueryWord(lexeme, known) for lexeme, known in pairs]


def stats(shares: dict[str, float], documents: float = 100_000) -> TermStatistics:
    return TermStatistics(WordStatistics(shares, least_share=0.001, documents=documents))


class TestWrittenSyntax:
    @pytest.mark.parametrize("query", ['"bus stop" adler', "bus -tram", "bus or tram", "OR x"])
    def test_is_recognised(self, query: str) -> None:
        assert has_syntax(query)
        assert written_query(query) == " ".join(query.split())

    def test_plain_words_are_not_syntax(self) -> None:
        assert not has_syntax("bus to Adler")

    def test_negation_runs_and_word_count_are_bounded(self) -> None:
        assert written_query("----bus") == "-bus"
        assert len(written_query("- " * 1000).split()) == MAX_TERMS


class TestPlanWords:
    def test_rare_words_match_and_every_word_ranks(self) -> None:
        """A common word ("квартир", 40 % of the table) does not widen the pool; all of
        the words together still match."""
        arm = plan_words(
            words(("квартир", True), ("адлер", True), ("135", True)),
            stats({"квартир": 0.4, "адлер": 0.004}),
            budget=1500,
            min_coverage=0.5,
        )
        assert arm is not None
        assert arm.match == "'135' | 'адлер' | ('квартир' & 'адлер' & '135')"
        assert arm.rank == "'квартир' | 'адлер' | '135'"
        weights = dict(zip(arm.words, arm.weights, strict=True))
        assert weights["'135'"] > weights["'адлер'"] > weights["'квартир'"]
        assert sum(arm.weights) == pytest.approx(1.0)

    def test_the_rarest_word_matches_even_over_the_budget(self) -> None:
        arm = plan_words(words(("the", True)), stats({"the": 0.9}), budget=10, min_coverage=0.5)
        assert arm is not None
        assert arm.match == "'the'"
        assert arm.min_coverage == 0.0  # one word: every match holds all of the query

    def test_a_word_no_document_holds_weighs_most_and_matches_nothing(self) -> None:
        arm = plan_words(
            words(("capit", True), ("peru", False)),
            stats({"capit": 0.002}),
            budget=1500,
            min_coverage=0.5,
        )
        assert arm is not None
        assert "peru" not in arm.match
        weights = dict(zip(arm.words, arm.weights, strict=True))
        assert weights["'peru'"] > 0.5  # a document with "capital" alone holds too little

    def test_no_known_word_no_arm(self) -> None:
        assert plan_words(words(("qwzxkjv", False)), stats({}), budget=9, min_coverage=0) is None

    def test_quotes_in_a_lexeme_are_doubled(self) -> None:
        assert quoted("o'neil") == "'o''neil'"


class TestCursor:
    codec = CursorCodec(b"secret")

    def test_round_trip(self) -> None:
        cursor = SearchCursor(0.016393442622950821, 42, SearchMode.HYBRID)
        assert SearchCursor.decode(self.codec, cursor.encode(self.codec, "fp"), "fp") == cursor

    def test_refuses_other_searches_edits_and_other_keys(self) -> None:
        token = SearchCursor(0.5, 7, SearchMode.FTS).encode(self.codec, "fp")
        body, signature = token.split(".")
        forged = SearchCursor(0.5, 7, SearchMode.FTS).encode(CursorCodec(b"other"), "fp")
        for bad, fingerprint in [
            (token, "another"),
            (f"{body}x.{signature}", "fp"),
            (f"{body}.{signature[:-1]}", "fp"),
            (forged, "fp"),
            ("", "fp"),
            ("...", "fp"),
            ("é.é", "fp"),
        ]:
            with pytest.raises(InvalidCursor):
                self.codec.decode(bad, fingerprint)


class TestSnippets:
    def test_matches_become_bold_and_the_rest_is_escaped(self) -> None:
        headline = f"a <i>&amp; {START}bus{STOP} & {START}stop{STOP}"
        assert to_html(headline) == "a &lt;i&gt;&amp;amp; <b>bus</b> &amp; <b>stop</b>"
        assert plain(headline) == "a <i>&amp; bus & stop"

    @pytest.mark.parametrize(
        ("headline", "html"),
        [
            (f"{STOP}x{START}y", "x<b>y</b>"),
            (f"{START}{START}x{STOP}{STOP}", "<b>x</b>"),
            (f"{START}{STOP}x", "x"),
            ("<b>not ours</b>", "&lt;b&gt;not ours&lt;/b&gt;"),
        ],
    )
    def test_bold_is_always_balanced(self, headline: str, html: str) -> None:
        assert to_html(headline) == html

    def test_a_snippet_starts_with_the_sentence_of_the_match(self) -> None:
        marked = (
            f"Погода мягкая.\nВ ноябре в {START}Сочи{STOP} тепло, купаются до середины месяца. "
            f"Отели дешевле."
        )
        text, html = snippet(marked)
        assert text == ("В ноябре в Сочи тепло, купаются до середины месяца. Отели дешевле.")
        assert html.startswith("В ноябре в <b>Сочи</b>")

    def test_a_long_sentence_is_cut_between_words(self) -> None:
        marked = "слово " * 30 + f"{START}цель{STOP} " + "хвост " * 60
        text, _ = snippet(marked, limit=120)
        assert text.startswith("…")
        assert "цель" in text
        assert text.endswith("…")
        assert len(text) <= 122

    def test_without_a_match_the_opening_and_no_hashtag_line(self) -> None:
        text, _ = snippet("Продаю велосипед. Цена 18 000 ₽.\n#продам #велосипед")
        assert text == "Продаю велосипед. Цена 18 000 ₽."

    def test_an_untitled_post_gets_its_first_sentence_as_title_not_as_snippet(self) -> None:
        marked = f"🚲 Продаю {START}велосипед{STOP} Stels. Рама 19 дюймов, колёса 27,5."
        title = display_title("", marked)
        assert title == "🚲 Продаю велосипед Stels."
        text, _ = snippet(marked, skip=title)
        assert text == "Рама 19 дюймов, колёса 27,5."
        assert display_title("Own title", marked) == "Own title"

    def test_a_long_first_sentence_is_shortened_for_the_title(self) -> None:
        title = display_title("", "слово " * 60)
        assert len(title) <= 121
        assert title.endswith("слово…")

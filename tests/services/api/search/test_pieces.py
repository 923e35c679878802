"""The pure parts of search: the full-text query, cursors, snippets."""

from __future__ import annotations

import pytest

from concierge.api.paging import CursorCodec, InvalidCursor
from concierge.api.search.cursor import SearchCursor
from concierge.api.search.service import MAX_TERMS, SearchConfig, fts_query
from concierge.api.search.snippets import START, STOP, lead, plain, to_html
from concierge.contracts.search import SearchMode


class TestFtsQuery:
    def test_plain_words_are_alternatives(self) -> None:
        assert fts_query("bus  to\tAdler") == "bus or to or Adler"

    @pytest.mark.parametrize("query", ['"bus stop" adler', "bus -tram", "bus or tram", "OR x"])
    def test_written_syntax_is_kept(self, query: str) -> None:
        assert fts_query(query) == " ".join(query.split())

    def test_negation_runs_and_word_count_are_bounded(self) -> None:
        assert fts_query("----bus") == "-bus"
        assert len(fts_query("- " * 1000).split(" or ")) == MAX_TERMS
        assert len(fts_query("word " * 100).split(" or ")) == MAX_TERMS


class TestVectorWeight:
    def test_the_vector_arm_counts_less_in_languages_the_model_does_not_know(self) -> None:
        config = SearchConfig(vector_languages=frozenset({"en"}), vector_weight_other=0.25)
        assert config.vector_weight("bus to the airport") == 1.0
        assert config.vector_weight("автобус в аэропорт") == 0.25
        assert SearchConfig(vector_languages=frozenset()).vector_weight("автобус") == 1.0


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

    def test_lead_cuts_between_words(self) -> None:
        text = "word " * 100
        cut = lead(text, 50)
        assert len(cut) <= 51
        assert cut.endswith("word…")
        assert lead("  short\n text ") == "short text"

"""The assistant's pure parts: passages, extracts, the prompt and its citations."""

from __future__ import annotations

from datetime import UTC, datetime

from concierge.api.assistant.passages import Passage, best_window, extract, extractive_text
from concierge.api.assistant.prompt import build_prompt, read_citations
from concierge.contracts.search import SourceKind, SourceRef

WHEN = datetime(2026, 10, 1, tzinfo=UTC)


def passage(n: int, text: str, title: str = "") -> Passage:
    source = SourceRef(id=1, kind=SourceKind.RSS, title="City")
    return Passage(n, 100 + n, title, None, source, WHEN, text)


class TestCitations:
    def test_reads_numbers_and_drops_those_of_no_passage(self) -> None:
        text, cited = read_citations("A [2]. B [1][7]. C [1, 3, 9]. D [0] [x]", 3)
        assert cited == [2, 1, 3]
        assert text == "A [2]. B [1]. C [1][3]. D [x]"

    def test_long_replies_are_cut(self) -> None:
        text, _ = read_citations("word " * 2000 + "[1]", 1)
        assert len(text) <= 3501


class TestPassages:
    def test_the_window_is_around_the_matching_sentence(self) -> None:
        filler = " ".join(f"Sentence number {i} says nothing." for i in range(60))
        text = f"{filler} The ferry to Batumi leaves at nine. {filler}"
        window = best_window("when does the ferry leave", text, limit=200)
        assert "The ferry to Batumi leaves at nine." in window
        assert len(window) <= 201

    def test_extract_picks_matching_sentences_in_ranking_order(self) -> None:
        passages = [
            passage(1, "Bus 135 runs every 20 minutes. The weather is fine."),
            passage(2, "Nothing here. The bus depot on Lenina closes at night."),
        ]
        extracts = extract("how often does bus 135 run", passages)
        assert next(e.sentence for e in extracts) == "Bus 135 runs every 20 minutes."
        text = extractive_text(extracts)
        assert text.startswith("Bus 135 runs every 20 minutes. [1]")

    def test_without_shared_words_the_best_document_opens_the_answer(self) -> None:
        extracts = extract("щенок", [passage(1, "Young dogs eat often. They sleep a lot.")])
        assert extractive_text(extracts) == "Young dogs eat often. [1]"

    def test_the_prompt_numbers_the_passages(self) -> None:
        prompt = build_prompt("Q?", [passage(1, "One.", "Title"), passage(2, "Two.")])
        assert prompt.user == (
            "Passages:\n\n[1] Title — City — 2026-10-01\nOne.\n\n[2] City — 2026-10-01\nTwo."
            "\n\nQuestion: Q?"
        )

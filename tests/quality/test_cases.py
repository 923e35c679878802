"""What a person sees, on the labelled cases of ``cases.json`` (issue 11, item 5), with
the default backend over the demo corpus: nonsense and unrelated questions find nothing
and are told so; "велосипед" ranks bikes first and never shows a fridge; answers hold
the fact asked for, with citations numbered from 1; snippets start where a sentence
starts; a channel post's title and snippet do not repeat each other."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.assistant.service import AssistantRuntime, AssistantService
from concierge.api.search.repository import SearchRepository
from concierge.api.search.schemas import SearchHit, SearchMode, SearchParams
from concierge.api.search.service import SearchService
from concierge.contracts.search import Answer, AnswerRequest
from concierge.embedded import EmbeddedPostgres
from concierge.embedding import DEFAULT_BACKEND
from concierge.sandbox.feeds import load_documents
from concierge.text.normalize import clean_text
from tests.quality.conftest import Models
from tests.quality.test_search_quality import Store, open_store

CASES: dict[str, Any] = json.loads(Path(__file__).with_name("cases.json").read_text("utf-8"))
QUESTIONS = [case["question"] for case in CASES["answers"]]
SENTENCE_END = re.compile(r"[.!?…:]\s+$")


@pytest.fixture(scope="module")
async def store(postgres: EmbeddedPostgres, models: Models) -> AsyncIterator[Store]:
    extra = [*CASES["nothing"], *QUESTIONS, *CASES["snippets"]]
    extra += [case["query"] for case in CASES["ranking"]]
    opened = await open_store(postgres, models.corpus(DEFAULT_BACKEND), extra)
    yield opened
    await opened.engine.dispose()


async def every_page(store: Store, query: str, limit: int = 5) -> list[SearchHit]:
    """Every result, page after page, as the bot pages them."""
    found: list[SearchHit] = []
    cursor = None
    async with AsyncSession(store.engine) as session, session.begin():
        service = SearchService(SearchRepository(session), store.runtime)
        while True:
            params = SearchParams(q=query, mode=SearchMode.HYBRID, limit=limit, cursor=cursor)
            page = await service.search(params)
            assert page.mode == SearchMode.HYBRID, page.degraded_reason
            found += page.items
            cursor = page.next_cursor
            if cursor is None:
                return found


async def answer(store: Store, question: str) -> Answer:
    async with AsyncSession(store.engine) as session, session.begin():
        search = SearchService(SearchRepository(session), store.runtime)
        return await AssistantService(search, AssistantRuntime(None)).answer(
            AnswerRequest(question=question)
        )


@pytest.mark.parametrize("query", CASES["nothing"])
async def test_nothing_is_found_for_what_no_document_answers(store: Store, query: str) -> None:
    found = await every_page(store, query)
    assert [store.corpus.ids[hit.id] for hit in found] == []
    assert (await answer(store, query)).mode == "none"


@pytest.mark.parametrize("case", CASES["ranking"], ids=lambda case: case["query"])
async def test_relevant_documents_rank_first_and_unrelated_ones_never_come(
    store: Store, case: dict[str, Any]
) -> None:
    ranked = [store.corpus.ids[hit.id] for hit in await every_page(store, case["query"])]
    assert set(case["relevant"]) <= set(ranked), ranked
    assert not set(case["unrelated"]) & set(ranked), ranked
    last_relevant = max(ranked.index(doc) for doc in case["relevant"])
    for doc in case["below"]:
        assert doc not in ranked or ranked.index(doc) > last_relevant, ranked


@pytest.mark.parametrize("case", CASES["answers"], ids=lambda case: case["question"])
async def test_the_answer_holds_the_fact_asked_for(store: Store, case: dict[str, Any]) -> None:
    given = await answer(store, case["question"])
    assert given.mode == "extractive"
    assert any(fact in given.text for fact in case["facts"]), given.text
    cited = [int(n) for n in re.findall(r"\[(\d+)\]", given.text)]
    assert sorted(set(cited)) == list(range(1, len(set(cited)) + 1)), given.text
    assert [c.n for c in given.citations] == list(range(1, len(given.citations) + 1))


def starts_a_sentence(text: str, start: str) -> bool:
    """Whether ``start`` begins a line of the text or follows a sentence's end in one."""
    for line in text.splitlines():
        line = " ".join(line.split())
        position = line.find(start)
        while position >= 0:
            if not line[:position].strip() or SENTENCE_END.search(line[:position]):
                return True
            position = line.find(start, position + 1)
    return False


@pytest.mark.parametrize("query", CASES["snippets"])
async def test_snippets_start_a_sentence_and_titles_do_not_repeat_them(
    store: Store, query: str
) -> None:
    texts = {d.id: clean_text(d.text) for d in load_documents()}
    hits = await every_page(store, query)
    assert hits
    for hit in hits:
        text = texts[store.corpus.ids[hit.id]]
        start = re.split(r"(?<=[.!?…])\s", hit.snippet.removesuffix("…"))[0][:20]
        if not start.startswith("…"):  # a long sentence cut before its match says so
            assert starts_a_sentence(text, start), (hit.snippet, text[:300])
        assert hit.title
        assert hit.title != hit.snippet
        assert not hit.snippet.startswith(hit.title.removesuffix("…")), (hit.title, hit.snippet)

"""Answers: retrieve the best passages, then let the LLM write with citations.

Without an LLM the answer is extractive: the sentences that share most words with
the question, each cited. An LLM that times out, fails, is busy or replies with
something unusable gives way to the extractive answer, with the reason in
``degraded_reason``; answering never fails because of the LLM.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from concierge.agent.complete import TextModel
from concierge.agent.errors import LlmError
from concierge.api.assistant.passages import (
    Passage,
    best_window,
    citation_numbers,
    extract,
    extractive_text,
)
from concierge.api.assistant.prompt import build_prompt, read_citations, renumber
from concierge.api.assistant.schemas import Answer, AnswerRequest, Citation
from concierge.api.search.schemas import SearchMode, SearchParams
from concierge.api.search.service import SearchService
from concierge.text.language import detect_language

log = logging.getLogger(__name__)

PASSAGES = 5
QUOTE_CHARS = 500
NOTHING_FOUND = {
    "ru": "Ничего не нашлось по этому вопросу.",
    "en": "Nothing was found on this question.",
}


@dataclass
class AssistantRuntime:
    """The LLM client (None: extractive answers only) and its concurrency cap."""

    llm: TextModel | None
    max_concurrency: int = 4

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.max_concurrency)

    async def aclose(self) -> None:
        if self.llm is not None:
            await self.llm.aclose()


class AssistantService:
    def __init__(self, search: SearchService, runtime: AssistantRuntime) -> None:
        self.search = search
        self.runtime = runtime

    async def answer(self, request: AnswerRequest) -> Answer:
        passages = await self.passages(request)
        if not passages:
            language = "ru" if detect_language(request.question) == "ru" else "en"
            return Answer(
                question=request.question, text=NOTHING_FOUND[language], citations=[], mode="none"
            )
        if self.runtime.llm is None:
            return self.extractive(request.question, passages)
        try:
            return await self.written(request.question, passages, self.runtime.llm)
        except LlmError as exc:
            log.warning("answering from extracts: %s", exc)
            answer = self.extractive(request.question, passages)
            return answer.model_copy(update={"degraded_reason": str(exc)})

    async def passages(self, request: AnswerRequest) -> list[Passage]:
        params = SearchParams(
            q=request.question,
            kind=request.kind,
            source=request.source,
            since=request.since,
            limit=PASSAGES,
            mode=SearchMode.HYBRID,
        )
        hits = (await self.search.search(params)).items
        texts = await self.search.texts([hit.id for hit in hits])
        return [
            Passage(
                n=number,
                document_id=hit.id,
                title=hit.title,
                url=hit.url,
                source=hit.source,
                published_at=hit.published_at,
                text=best_window(request.question, texts[hit.id], language=hit.language),
                language=hit.language,
            )
            for number, hit in enumerate(hits, start=1)
            if hit.id in texts
        ]

    def extractive(self, question: str, passages: list[Passage]) -> Answer:
        extracts = extract(question, passages)
        quotes: dict[int, list[str]] = {}
        for item in extracts:
            quotes.setdefault(item.passage.n, []).append(item.sentence)
        numbers = citation_numbers([item.passage.n for item in extracts])
        by_number = {passage.n: passage for passage in passages}
        citations = [_citation(by_number[n], " … ".join(quotes[n]), numbers[n]) for n in quotes]
        return Answer(
            question=question,
            text=extractive_text(extracts),
            citations=sorted(citations, key=lambda c: c.n),
            mode="extractive",
        )

    async def written(self, question: str, passages: list[Passage], llm: TextModel) -> Answer:
        if self.runtime.slots.locked():
            raise LlmError("the model is busy with other questions")
        async with self.runtime.slots:
            reply = await llm.complete(build_prompt(question, passages))
        text, cited = read_citations(reply, len(passages))
        if not cited:
            raise LlmError("the model's answer cited none of the passages")
        numbers = citation_numbers(cited)
        text = renumber(text, numbers)
        by_number = {passage.n: passage for passage in passages}
        citations = sorted(
            (_citation(by_number[n], by_number[n].text, numbers[n]) for n in cited),
            key=lambda c: c.n,
        )
        return Answer(
            question=question, text=text, citations=citations, mode="llm", model=llm.model
        )


def _citation(passage: Passage, quote: str, number: int) -> Citation:
    if len(quote) > QUOTE_CHARS:
        quote = quote[:QUOTE_CHARS].rsplit(" ", 1)[0] + "…"
    return Citation(
        n=number,
        document_id=passage.document_id,
        title=passage.title,
        url=passage.url,
        source=passage.source,
        published_at=passage.published_at,
        quote=quote,
    )

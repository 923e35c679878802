"""Search and answers over the knowledge store (ingested posts, articles, approved
listings): the same services as ``GET /search`` and ``POST /assistant/answer``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from concierge.api.assistant.service import AssistantService
from concierge.api.mcp.registry import ToolSet, current_call
from concierge.api.paging import MAX_CURSOR_LENGTH
from concierge.api.search.repository import SearchRepository
from concierge.api.search.schemas import SearchPage, SearchParams
from concierge.api.search.service import SearchService
from concierge.contracts.mcp import McpScope
from concierge.contracts.search import MAX_PAGE, Answer, AnswerRequest, DocumentKind, Query

TOOLS = ToolSet("search")


def search_service() -> SearchService:
    call = current_call()
    return SearchService(SearchRepository(call.session), call.state.search)


@TOOLS.tool(McpScope.SEARCH_READ)
async def search(
    q: Annotated[Query, Field(description='Words, "a phrase", -excluded, or')],
    kind: Annotated[DocumentKind | None, Field(description="Only this kind")] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 10,
    cursor: Annotated[
        str | None, Field(max_length=MAX_CURSOR_LENGTH, description="next_cursor of a page")
    ] = None,
) -> SearchPage:
    """Search posts, articles and market listings by words and meaning (Russian and
    English), best first. Pass a page's next_cursor back as cursor for the next page."""
    params = SearchParams(q=q, kind=kind, limit=limit, cursor=cursor)
    return await search_service().search(params)


@TOOLS.tool(McpScope.SEARCH_READ)
async def ask(
    question: Annotated[Query, Field(description="A question in Russian or English")],
    kind: Annotated[DocumentKind | None, Field(description="Answer from this kind only")] = None,
) -> Answer:
    """Answer a question from the knowledge store, citing the passages used as [n]
    (citations carry their documents' titles and links). Without an LLM the answer is
    made of the best matching sentences; mode "none" means nothing was found."""
    assistant = AssistantService(search_service(), current_call().state.assistant)
    return await assistant.answer(AnswerRequest(question=question, kind=kind))

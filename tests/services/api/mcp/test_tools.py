"""The MCP tools through fastmcp's in-memory client, as the holder of a real token:
what each token lists and may call, results scoped to the caller, hostile arguments,
and the audit row of every call."""

from __future__ import annotations

from typing import Any

import pytest
from fastmcp.exceptions import ToolError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.identity.models import User
from concierge.domain.mcp.models import McpCall
from tests.services.api.market.test_browse import add_listing, owner
from tests.services.api.mcp.conftest import ALICE, BOB, Connect, Issue

pytestmark = pytest.mark.integration

READ_ALL = ["search:read", "market:read", "rentals:read"]


async def calls(session: AsyncSession, telegram_id: int) -> list[McpCall]:
    user_id = await session.scalar(select(User.id).where(User.telegram_id == telegram_id))
    rows = await session.scalars(
        select(McpCall).where(McpCall.user_id == user_id).order_by(McpCall.id)
    )
    return list(rows.all())


async def bike(session: AsyncSession, **values: Any) -> int:
    return await add_listing(session, await owner(session), **values)


class TestListing:
    async def test_a_token_lists_the_tools_of_its_scopes(
        self, issue: Issue, connect: Connect
    ) -> None:
        everything = await issue(ALICE, "all", ["search:read", "market:read"])
        search_only = await issue(ALICE, "search", ["search:read"])
        async with connect(everything) as client:
            names = {tool.name for tool in await client.list_tools()}
        assert {"search", "ask", "search_listings"} <= names
        async with connect(search_only) as client:
            names = {tool.name for tool in await client.list_tools()}
        assert names == {"search", "ask"}

    async def test_tools_say_their_arguments_and_that_they_only_read(
        self, issue: Issue, connect: Connect
    ) -> None:
        async with connect(await issue(ALICE)) as client:
            tools = {tool.name: tool for tool in await client.list_tools()}
        search = tools["search"]
        assert search.input_schema["required"] == ["q"]
        assert search.annotations is not None
        assert search.annotations.read_only_hint
        assert search.description
        assert "cursor" in search.description


class TestSearchAndAnswers:
    async def test_search_finds_a_listing_document(
        self, session: AsyncSession, issue: Issue, connect: Connect
    ) -> None:
        listing = await bike(session, title="Gravel bike", description="Steel frame, size 58")
        async with connect(await issue(ALICE)) as client:
            result = await client.call_tool("search", {"q": "gravel bike"})
        page = result.structured_content
        assert page is not None
        assert [hit["listing_id"] for hit in page["items"]] == [listing]
        assert page["mode"] == "fts"  # no embeddings here: the degraded search says so

    async def test_ask_answers_with_citations(
        self, session: AsyncSession, issue: Issue, connect: Connect
    ) -> None:
        await bike(session, title="Gravel bike", description="The steel frame is size 58.")
        async with connect(await issue(ALICE)) as client:
            result = await client.call_tool("ask", {"question": "gravel bike frame size"})
        answer = result.structured_content
        assert answer is not None
        assert answer["mode"] == "extractive"
        assert "58" in answer["text"]
        assert answer["citations"]

    async def test_nothing_found_is_an_answer_not_an_error(
        self, issue: Issue, connect: Connect
    ) -> None:
        async with connect(await issue(ALICE)) as client:
            result = await client.call_tool("ask", {"question": "zyxwvut qwerty"})
        assert result.structured_content is not None
        assert result.structured_content["mode"] == "none"


class TestMarket:
    async def test_listings_as_the_caller_sees_them(
        self, session: AsyncSession, issue: Issue, connect: Connect
    ) -> None:
        token = await issue(ALICE)
        alice = await session.scalar(select(User.id).where(User.telegram_id == ALICE))
        assert alice is not None
        mine = await add_listing(session, alice, title="Road bike", days=1)
        theirs = await bike(session, title="Road bike", city="Porto")
        draft = await bike(session, title="Road bike", status="draft", published_at=None)
        async with connect(token) as client:
            result = await client.call_tool("search_listings", {})
            filtered = await client.call_tool("search_listings", {"city": "porto"})
        items = result.structured_content["items"]  # type: ignore[index]
        assert [item["id"] for item in items] == [mine, theirs]  # never another's draft
        assert draft not in [item["id"] for item in items]
        assert [item["is_mine"] for item in items] == [True, False]
        assert [i["id"] for i in filtered.structured_content["items"]] == [theirs]  # type: ignore[index]

    async def test_a_cursor_of_another_list_is_refused(
        self, issue: Issue, connect: Connect
    ) -> None:
        async with connect(await issue(ALICE)) as client:
            with pytest.raises(ToolError, match="cursor"):
                await client.call_tool("search_listings", {"cursor": "forged.cursor"})


class TestScopes:
    async def test_a_tool_outside_the_scopes_is_a_clear_error(
        self, session: AsyncSession, issue: Issue, connect: Connect
    ) -> None:
        async with connect(await issue(ALICE, "s", ["search:read"])) as client:
            with pytest.raises(ToolError, match="lacks the scope 'market:read'"):
                await client.call_tool("search_listings", {})
        (call,) = await calls(session, ALICE)
        assert (call.tool, call.outcome, call.error) == ("search_listings", "denied",
                                                         "scope market:read")  # fmt: skip

    async def test_no_token_no_tools(self, connect: Connect) -> None:
        async with connect(None) as client:
            assert await client.list_tools() == []
            with pytest.raises(ToolError, match="Bearer"):
                await client.call_tool("search", {"q": "bike"})

    async def test_an_unknown_tool(self, session: AsyncSession, issue: Issue,
                                   connect: Connect) -> None:  # fmt: skip
        async with connect(await issue(ALICE)) as client:
            with pytest.raises(ToolError, match="Unknown tool"):
                await client.call_tool("drop_tables", {})
        (call,) = await calls(session, ALICE)
        assert (call.outcome, call.error) == ("invalid", "unknown tool")


HOSTILE: list[tuple[str, dict[str, Any]]] = [
    ("search", {"q": "bike\x00"}),
    ("search", {"q": "x" * 100_000}),
    ("search", {"q": ""}),
    ("search", {"q": ["bike"]}),
    ("search", {"q": "bike", "limit": "many"}),
    ("search", {"q": "bike", "limit": 10**30}),
    ("search", {"q": "bike", "limit": 0}),
    ("search", {"q": "bike", "cursor": "c" * 10_000}),
    ("search", {"q": "bike", "kind": "secrets"}),
    ("ask", {"question": "\x00"}),
    ("ask", {}),
    ("search_listings", {"city": "Lisbon\x00"}),
    ("search_listings", {"price_min": "NaN"}),
    ("search_listings", {"price_min": -5}),
    ("search_listings", {"price_max": 10**12}),
    ("search_listings", {"category": {"$ne": None}}),
    ("search_listings", {"q": "ж" * 5000}),
]


class TestHostileArguments:
    @pytest.mark.parametrize(("tool", "arguments"), HOSTILE)
    async def test_refused_with_the_reason_and_audited(
        self,
        session: AsyncSession,
        issue: Issue,
        connect: Connect,
        tool: str,
        arguments: dict[str, Any],
    ) -> None:
        async with connect(await issue(ALICE)) as client:
            with pytest.raises(ToolError, match=r"Invalid arguments|validation"):
                await client.call_tool(tool, arguments)
        (call,) = await calls(session, ALICE)
        assert (call.tool, call.outcome) == (tool, "invalid")


class TestAudit:
    async def test_every_call_is_a_row_with_no_secret(
        self, session: AsyncSession, issue: Issue, connect: Connect
    ) -> None:
        token = await issue(ALICE)
        await issue(BOB)
        async with connect(token) as client:
            await client.call_tool("search", {"q": "secret words"})
            await client.call_tool("search_listings", {})
        rows = await calls(session, ALICE)
        assert [(c.tool, c.outcome) for c in rows] == [("search", "ok"), ("search_listings", "ok")]
        assert all(c.duration_ms >= 0 and c.token_id is not None for c in rows)
        assert await calls(session, BOB) == []
        stored = " ".join(repr(vars(c)) for c in rows)
        assert token not in stored
        assert "secret words" not in stored

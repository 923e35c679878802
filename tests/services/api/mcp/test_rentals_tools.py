"""The rentals tools as a landlord's agent uses them, through the api, the Avito gateway
and the sandbox's emulator: items, a month, a preview that writes nothing and a
confirmation that writes the full open set; another landlord's item is a 404; writing
needs rentals:write; a note reaches the landlord's chat through the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastmcp.exceptions import ToolError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.rentals.calendar.service import CalendarDesk
from concierge.domain.notify.models import Outbox
from tests.services.api.market.conftest import WebClient
from tests.services.api.mcp.conftest import Connect, Issue, serve_mcp
from tests.services.avito.conftest import (  # noqa: F401 (fixtures)
    LANDLORD,
    OTHER_LANDLORD,
    AvitoStack,
    avito,
    market_app,
    service,
    web_client,
)
from tests.services.avito.test_calendar import emulator_days, ready_item, span

pytestmark = pytest.mark.integration

READ = ["rentals:read"]
WRITE = ["rentals:read", "rentals:write"]


@pytest.fixture
def mcp_app(market_app: FastAPI, session: AsyncSession) -> FastAPI:  # noqa: F811
    """The app the Avito stack serves, its MCP calls in the test's session."""
    return serve_mcp(market_app, session)


@pytest.fixture
async def ready(avito: AvitoStack, web_client: WebClient) -> tuple[int, int]:  # noqa: F811
    """The landlord's connected account with one imported item: (api item id, Avito item id)."""
    _, item, avito_item = await ready_item(avito, web_client)
    return item, avito_item


def data(result: Any) -> Any:
    content = result.structured_content
    return content["result"] if isinstance(content, dict) and "result" in content else content


class TestLandlordAgent:
    async def test_items_month_preview_then_confirm(
        self,
        avito: AvitoStack,  # noqa: F811
        ready: tuple[int, int],
        issue: Issue,
        connect: Connect,
    ) -> None:
        item, avito_item = ready
        change = {"item_id": item, "action": "close", "ranges": [span(5, 9)]}
        async with connect(await issue(LANDLORD, "agent", WRITE)) as client:
            items = data(await client.call_tool("rentals_items", {}))
            assert [(i["id"], i["title"]) for i in items] == [(item, "Студия у моря")]
            fifth = CalendarDesk.today() + timedelta(days=5)
            month = data(
                await client.call_tool(
                    "rentals_calendar", {"item_id": item, "month": fifth.strftime("%Y-%m")}
                )
            )
            assert {d["state"] for d in month["days"]} == {"free"}

            preview = data(await client.call_tool("rentals_preview_dates", change))
            assert (len(preview["closes"]), preview["opens"]) == (4, [])
            assert set((await emulator_days(avito, avito_item)).values()) == {"free"}

            with pytest.raises(ToolError, match="changed since the preview"):
                await client.call_tool("rentals_confirm_dates", {**change, "token": "0" * 40})
            done = data(
                await client.call_tool(
                    "rentals_confirm_dates", {**change, "token": preview["token"]}
                )
            )
            assert done == {"closed": 4, "opened": 0}
        days = await emulator_days(avito, avito_item)
        assert sorted(day for day, state in days.items() if state == "closed") == [
            (CalendarDesk.today() + timedelta(days=n)).isoformat() for n in range(5, 9)
        ]

    async def test_bad_ranges_are_the_desks_clear_refusals(
        self, ready: tuple[int, int], issue: Issue, connect: Connect
    ) -> None:
        item, _ = ready
        async with connect(await issue(LANDLORD, "agent", WRITE)) as client:
            for ranges in ([span(-2, 3)], [span(8, 4)], [span(1, 400)]):
                with pytest.raises(ToolError) as refused:
                    await client.call_tool(
                        "rentals_preview_dates",
                        {"item_id": item, "action": "close", "ranges": ranges},
                    )
                assert "Error calling tool" not in str(refused.value)
            with pytest.raises(ToolError, match="Invalid arguments"):
                await client.call_tool(
                    "rentals_preview_dates",
                    {"item_id": item, "action": "burn", "ranges": [span(1, 2)]},
                )

    async def test_another_landlords_item_is_not_found(
        self, ready: tuple[int, int], issue: Issue, connect: Connect
    ) -> None:
        item, _ = ready
        async with connect(await issue(OTHER_LANDLORD, "other", WRITE)) as client:
            assert data(await client.call_tool("rentals_items", {})) == []
            for tool, arguments in [
                ("rentals_calendar", {"item_id": item, "month": "2027-01"}),
                ("rentals_bookings", {"item_id": item}),
                ("rentals_preview_dates", {"item_id": item, "action": "close",
                                           "ranges": [span(3, 4)]}),
                ("rentals_notify_landlord", {"item_id": item, "text": "hi"}),
            ]:  # fmt: skip
                with pytest.raises(ToolError, match="No such"):
                    await client.call_tool(tool, arguments)

    async def test_writing_needs_the_write_scope(
        self, ready: tuple[int, int], issue: Issue, connect: Connect
    ) -> None:
        item, _ = ready
        async with connect(await issue(LANDLORD, "reader", READ)) as client:
            names = {tool.name for tool in await client.list_tools()}
            assert names == {"rentals_items", "rentals_calendar", "rentals_bookings"}
            with pytest.raises(ToolError, match="rentals:write"):
                await client.call_tool(
                    "rentals_preview_dates",
                    {"item_id": item, "action": "close", "ranges": [span(3, 4)]},
                )

    async def test_a_note_reaches_the_landlord_once(
        self, session: AsyncSession, ready: tuple[int, int], issue: Issue, connect: Connect
    ) -> None:
        item, _ = ready
        note = {"item_id": item, "text": "Guest <Ivan> arrives at 15:00"}
        async with connect(await issue(LANDLORD, "agent", WRITE)) as client:
            assert data(await client.call_tool("rentals_notify_landlord", note)) == {"queued": True}
            again = data(await client.call_tool("rentals_notify_landlord", note))
            assert again == {"queued": False}
            with pytest.raises(ToolError, match="Invalid arguments"):
                await client.call_tool(
                    "rentals_notify_landlord", {"item_id": item, "text": "a\x00b"}
                )
            with pytest.raises(ToolError, match="Invalid arguments"):
                await client.call_tool(
                    "rentals_notify_landlord", {"item_id": item, "text": "x" * 1001}
                )
        rows = (
            await session.scalars(select(Outbox).where(Outbox.kind == "rentals.agent_note"))
        ).all()
        assert [row.chat_id for row in rows] == [LANDLORD]
        assert "&lt;Ivan&gt;" in rows[0].payload["text"]

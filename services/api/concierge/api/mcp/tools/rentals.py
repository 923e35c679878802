"""The rentals desk for a landlord's agent: items, a month's calendar, bookings; closing
and opening days in two steps (a preview that writes nothing and returns a token, then
the confirmation with that token, which writes the full open set through the Avito
gateway); a note to the item's landlord in Telegram. The same desks as the routes, so
an item of another landlord is a 404 and a co-host with read rights cannot write."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from concierge.api.identity.repository import UserRepository
from concierge.api.mcp.registry import ToolCall, ToolSet, current_call
from concierge.api.notify.service import NotifyService
from concierge.api.notify.texts import escaped, html_message, language_of
from concierge.api.rentals.accounts.deps import cipher_for
from concierge.api.rentals.accounts.repository import AccountRepository
from concierge.api.rentals.accounts.service import AccountDesk
from concierge.api.rentals.calendar.repository import CalendarRepository
from concierge.api.rentals.calendar.service import CalendarDesk
from concierge.api.rentals.gateway import gateway_of
from concierge.common.clock import utcnow
from concierge.common.errors import NotFound
from concierge.contracts.identity import Language
from concierge.contracts.ids import RowId
from concierge.contracts.mcp import McpScope
from concierge.contracts.notify import NotificationCreate
from concierge.contracts.rentals import (
    MAX_RANGES,
    BookingRead,
    CalendarChange,
    CalendarConfirm,
    CalendarMonth,
    CalendarPreview,
    CalendarWritten,
    DayRange,
    ItemRead,
)
from concierge.contracts.text import MULTI_LINE

TOOLS = ToolSet("rentals")

ItemId = Annotated[RowId, Field(description="An item's id (rentals_items)")]
Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
Action = Literal["close", "open"]
Ranges = Annotated[
    list[DayRange],
    Field(min_length=1, max_length=MAX_RANGES, description="date_end is exclusive"),
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
                 MULTI_LINE]  # fmt: skip
NOTE_KIND = "rentals.agent_note"
NOTE = {
    Language.EN: "🤖 Your agent about <b>{title}</b>:\n{text}",
    Language.RU: "🤖 Ваш агент об объекте <b>{title}</b>:\n{text}",
}


def _accounts(call: ToolCall) -> AccountDesk:
    session = call.session
    return AccountDesk(
        AccountRepository(session),
        UserRepository(session),
        NotifyService.for_session(session),
        cipher_for(call.state),
        gateway_of(call.state),
    )


def _calendar(call: ToolCall) -> CalendarDesk:
    session = call.session
    key = b"rentals.calendar:" + call.state.service_token.encode()
    return CalendarDesk(
        CalendarRepository(session),
        _accounts(call),
        UserRepository(session),
        NotifyService.for_session(session),
        key,
    )


@TOOLS.tool(McpScope.RENTALS_READ)
async def rentals_items() -> list[ItemRead]:
    """The apartments (Avito items) of every account the caller owns or co-hosts."""
    call = current_call()
    desk = _accounts(call)
    items: list[ItemRead] = []
    for account in await desk.mine(call.user):
        items += await desk.items(call.user, account.id)
    return items


@TOOLS.tool(McpScope.RENTALS_READ)
async def rentals_calendar(
    item_id: ItemId, month: Annotated[Month, Field(description="YYYY-MM")]
) -> CalendarMonth:
    """Each day of a month of an item: free, closed (by the landlord) or booked (with
    Avito's booking id)."""
    call = current_call()
    return await _calendar(call).month(call.user, item_id, month)


@TOOLS.tool(McpScope.RENTALS_READ)
async def rentals_bookings(item_id: ItemId) -> list[BookingRead]:
    """An item's bookings of the coming year (as last polled from Avito): guest, dates,
    status."""
    call = current_call()
    return await _calendar(call).bookings(call.user, item_id)


@TOOLS.tool(McpScope.RENTALS_WRITE)
async def rentals_preview_dates(item_id: ItemId, action: Action, ranges: Ranges) -> CalendarPreview:
    """Step 1 of closing or opening days: what the change would close and open, and a
    token. Nothing is written. Show the landlord the preview; to apply it, call
    rentals_confirm_dates with the same change and the token."""
    call = current_call()
    change = CalendarChange(action=action, ranges=ranges)
    return await _calendar(call).preview(call.user, item_id, change)


@TOOLS.tool(McpScope.RENTALS_WRITE, read_only=False)
async def rentals_confirm_dates(
    item_id: ItemId,
    action: Action,
    ranges: Ranges,
    token: Annotated[str, Field(min_length=1, max_length=128, description="The preview's")],
) -> CalendarWritten:
    """Step 2: write the previewed change to Avito. Refused (nothing changed) when the
    calendar changed since the preview (preview again) or the days overlap a booking."""
    call = current_call()
    data = CalendarConfirm(action=action, ranges=ranges, token=token)
    return await _calendar(call).confirm(call.user, item_id, data)


class NoteSent(BaseModel):
    queued: bool = Field(description="False: the same note was sent in this minute already")


@TOOLS.tool(McpScope.RENTALS_WRITE, read_only=False)
async def rentals_notify_landlord(item_id: ItemId, text: Note) -> NoteSent:
    """Send the item's landlord a message in Telegram (e.g. a guest's arrival time, a
    question only they can answer). Up to 1000 characters of plain text."""
    call = current_call()
    item = await CalendarRepository(call.session).item(item_id)
    if item is None:
        raise NotFound("No such item")
    account = await _accounts(call).account(call.user, item.account_id, change=False)
    owner = await UserRepository(call.session).get(account.owner_id)
    if owner is None:
        raise NotFound("No such item")
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    minute = int(utcnow().timestamp() // 60)
    body = NOTE[language_of(owner)].format(**escaped(title=item.title, text=text))
    queued = await NotifyService.for_session(call.session).enqueue(
        NotificationCreate(
            dedup_key=f"{NOTE_KIND}:{item.id}:{digest}:{minute}",
            chat_id=owner.telegram_id,
            kind=NOTE_KIND,
            payload=html_message(body),
        )
    )
    return NoteSent(queued=queued is not None)

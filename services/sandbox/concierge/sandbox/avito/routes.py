"""Avito's API as the gateway meets it (REFERENCE.md, "Avito API"), under ``/avito``.

- ``POST /avito/token`` (form: client credentials) → ``{access_token, expires_in,
  token_type}``; a wrong or revoked client is 400 ``invalid_client``.
- ``GET /avito/core/v1/accounts/self``; ``GET /avito/core/v1/items?per_page&page&status``.
- ``GET /avito/realty/v1/accounts/{uid}/items/{item}/bookings?date_start&date_end``.
- ``POST /avito/realty/v1/items/intervals`` ``{item_id, intervals, source}``: the full
  open set; every date of the coming year left out is closed.
- ``POST /avito/core/v1/accounts/{uid}/items/{item}/bookings`` (close dates): no past
  dates (400), a paid booking overlapped → 409 and nothing closed.
- ``POST /avito/realty/v1/accounts/{uid}/items/{item}/prices``.
- messenger: v2 chats, v3 messages, v1 read and send (≤ 1000 characters), v3 webhook
  subscribe; a guest's message is pushed to the subscribed URL.
Errors are ``{error: {code, message}}``. Every call needs ``Authorization: Bearer``.

Controls and the guest side under ``/sandbox/avito``: accounts, items, bookings, faults
(``429``, ``500``, ``503``, ``expire``: tokens expire now; ``times``), guests writing, a
chat read back (JSON or a page), the calendar as the emulator sees it, reset.
"""

from __future__ import annotations

import html
import logging
import time
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Form, Header, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from concierge.sandbox.avito.state import (
    Account,
    AvitoState,
    Booking,
    Chat,
    Item,
    Message,
)

log = logging.getLogger(__name__)
router = APIRouter(tags=["avito"])
A = "/avito"
SEND_LIMIT = 1000


def _state(request: Request) -> AvitoState:
    state: AvitoState = request.app.state.avito
    return state


def _error(status: int, message: str, code: int | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code or status, "message": message}}, status)


def _authorize(request: Request, authorization: str | None) -> int | Response:
    """The caller's user id, or the answer to give (a queued fault, 401)."""
    state = _state(request)
    state.calls.append(f"{request.method} {request.url.path}")
    if state.faults:
        kind = state.faults.popleft()
        if kind == "429":
            return Response("Too Many Requests", 429, headers={"Retry-After": "1"})
        if kind in ("500", "503"):
            return _error(int(kind), "internal error")
        if kind == "expire":
            state.expire_tokens()
    if not authorization or not authorization.startswith("Bearer "):
        return _error(401, "unauthorized")
    user = state.user_of(authorization.removeprefix("Bearer "))
    if user is None:
        return _error(401, "token expired or invalid")
    return user


Auth = Annotated[str | None, Header()]


@router.post(f"{A}/token")
async def token(
    request: Request,
    grant_type: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
    client_secret: Annotated[str, Form()] = "",
) -> Response:
    state = _state(request)
    state.calls.append("POST /token")
    if state.faults and state.faults[0] in ("429", "500", "503"):
        kind = state.faults.popleft()
        if kind == "429":
            return Response("Too Many Requests", 429, headers={"Retry-After": "1"})
        return _error(int(kind), "internal error")
    if grant_type != "client_credentials":
        return JSONResponse({"error": "unsupported_grant_type"}, 400)
    issued = state.issue_token(client_id, client_secret)
    if issued is None:
        return JSONResponse({"error": "invalid_client", "error_description": "bad client"}, 400)
    return JSONResponse(
        {"access_token": issued, "expires_in": state.token_ttl_s, "token_type": "Bearer"}
    )


@router.get(f"{A}/core/v1/accounts/self")
async def accounts_self(request: Request, authorization: Auth = None) -> Response:
    user = _authorize(request, authorization)
    if isinstance(user, Response):
        return user
    account = _state(request).accounts[user]
    return JSONResponse(
        {"id": user, "name": account.name, "email": f"{user}@example.com", "phone": ""}
    )


@router.get(f"{A}/core/v1/items")
async def items(
    request: Request,
    authorization: Auth = None,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
    page: Annotated[int, Query(ge=1)] = 1,
    status: str = "active",
) -> Response:
    user = _authorize(request, authorization)
    if isinstance(user, Response):
        return user
    mine = [
        i
        for i in sorted(_state(request).items.values(), key=lambda i: i.id)
        if i.user_id == user and i.status in status.split(",")
    ]
    chunk = mine[(page - 1) * per_page : page * per_page]
    return JSONResponse(
        {
            "meta": {"page": page, "per_page": per_page},
            "resources": [
                {
                    "id": i.id,
                    "title": i.title,
                    "address": i.address,
                    "category": {"id": 24, "name": "Квартиры"},
                    "price": i.price,
                    "status": i.status,
                    "url": f"https://www.avito.ru/item/{i.id}",
                }
                for i in chunk
            ],
        }
    )


def _own_item(
    request: Request, authorization: str | None, uid: int | None, item_id: int
) -> Item | Response:
    """The caller's item, or the answer to give (a fault, 401; 403 when ``uid`` is not the
    caller's account; 404 for an item that is not the caller's)."""
    user = _authorize(request, authorization)
    if isinstance(user, Response):
        return user
    if uid is not None and user != uid:
        return _error(403, "forbidden")
    item = _state(request).items.get(item_id)
    if item is None or item.user_id != user:
        return _error(404, "item not found")
    return item


@router.get(A + "/realty/v1/accounts/{uid}/items/{item_id}/bookings")
async def bookings(
    request: Request,
    uid: int,
    item_id: int,
    date_start: date,
    date_end: date,
    authorization: Auth = None,
    with_unpaid: bool = False,
) -> Response:
    item = _own_item(request, authorization, uid, item_id)
    if isinstance(item, Response):
        return item
    found = [
        b.to_json()
        for b in _state(request).bookings.values()
        if b.item_id == item_id
        and b.check_out > date_start
        and b.check_in < date_end
        and (b.paid or with_unpaid)
    ]
    return JSONResponse({"bookings": found})


class IntervalIn(BaseModel):
    date_start: date
    date_end: date
    open: int | bool = 1


class IntervalsIn(BaseModel):
    item_id: int
    intervals: list[IntervalIn]
    source: str = ""


@router.post(f"{A}/realty/v1/items/intervals")
async def intervals(request: Request, body: IntervalsIn, authorization: Auth = None) -> Response:
    item = _own_item(request, authorization, None, body.item_id)
    if isinstance(item, Response):
        return item
    state = _state(request)
    start, end = state.horizon()
    open_dates: set[date] = set()
    for interval in body.intervals:
        if interval.date_end <= interval.date_start:
            return _error(400, "date_end must be after date_start")
        if interval.open:
            day = max(interval.date_start, start)
            while day < min(interval.date_end, end):
                open_dates.add(day)
                day += timedelta(days=1)
    closed = {start + timedelta(days=n) for n in range((end - start).days)} - open_dates
    if (booking := state.paid_overlap(item.id, closed)) is not None:
        return _overlap(booking)
    item.open_dates = open_dates  # every date left out is closed: the documented rule
    return JSONResponse({"result": "success"})


def _overlap(booking: Booking) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "code": 409,
                "message": f"dates overlap the paid booking {booking.avito_booking_id}",
                "booking_id": booking.avito_booking_id,
            }
        },
        409,
    )


class ManualBooking(BaseModel):
    date_start: date
    date_end: date
    type: str = "manual"
    comment: str = ""


class CloseDatesIn(BaseModel):
    bookings: list[ManualBooking]
    source: str = ""


@router.post(A + "/core/v1/accounts/{uid}/items/{item_id}/bookings")
async def close_dates(
    request: Request, uid: int, item_id: int, body: CloseDatesIn, authorization: Auth = None
) -> Response:
    item = _own_item(request, authorization, uid, item_id)
    if isinstance(item, Response):
        return item
    state = _state(request)
    today, _ = state.horizon()
    closed: set[date] = set()
    for entry in body.bookings:
        if entry.date_start < today:
            return _error(400, "date_start is in the past")
        if entry.date_end <= entry.date_start:
            return _error(400, "date_end must be after date_start")
        closed |= {
            entry.date_start + timedelta(days=n)
            for n in range((entry.date_end - entry.date_start).days)
        }
    if (booking := state.paid_overlap(item.id, closed)) is not None:
        return _overlap(booking)
    item.manual = [b.model_dump(mode="json") for b in body.bookings]  # replaces the calendar
    return JSONResponse({"result": "success"})


@router.post(A + "/realty/v1/accounts/{uid}/items/{item_id}/prices")
async def prices(
    request: Request, uid: int, item_id: int, body: dict[str, Any], authorization: Auth = None
) -> Response:
    item = _own_item(request, authorization, uid, item_id)
    if isinstance(item, Response):
        return item
    if not isinstance(body.get("prices"), list):
        return _error(400, "prices must be a list")
    item.prices = body["prices"]
    return JSONResponse({"result": "success"})


# --- messenger ---------------------------------------------------------------------------


def _chat(request: Request, authorization: str | None, uid: int, chat_id: str) -> Chat | Response:
    """The caller's chat, or the answer to give (a fault, 401; 404 for another's chat)."""
    user = _authorize(request, authorization)
    if isinstance(user, Response):
        return user
    chat = _state(request).chats.get(chat_id)
    if user != uid or chat is None or chat.user_id != user:
        return _error(404, "chat not found")
    return chat


@router.get(A + "/messenger/v2/accounts/{uid}/chats")
async def chats(
    request: Request,
    uid: int,
    authorization: Auth = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    user = _authorize(request, authorization)
    if isinstance(user, Response):
        return user
    mine = [c for c in _state(request).chats.values() if c.user_id == user == uid]
    return JSONResponse(
        {
            "chats": [
                {
                    "id": c.id,
                    "created": c.created,
                    "updated": c.messages[-1].created if c.messages else c.created,
                    "context": {"type": "item", "value": {"id": c.item_id}},
                    "users": [
                        {"id": c.user_id, "name": "landlord"},
                        {"id": c.guest_id, "name": c.guest_name},
                    ],
                    "last_message": c.messages[-1].to_json() if c.messages else None,
                }
                for c in mine[offset : offset + limit]
            ]
        }
    )


@router.get(A + "/messenger/v3/accounts/{uid}/chats/{chat_id}/messages/")
async def messages(
    request: Request,
    uid: int,
    chat_id: str,
    authorization: Auth = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    chat = _chat(request, authorization, uid, chat_id)
    if isinstance(chat, Response):
        return chat
    newest_first = list(reversed(chat.messages))[offset : offset + limit]
    return JSONResponse({"messages": [m.to_json() for m in newest_first]})


@router.post(A + "/messenger/v1/accounts/{uid}/chats/{chat_id}/read")
async def read(request: Request, uid: int, chat_id: str, authorization: Auth = None) -> Response:
    chat = _chat(request, authorization, uid, chat_id)
    if isinstance(chat, Response):
        return chat
    for message in chat.messages:
        message.is_read = True
    return JSONResponse({"ok": True})


class SendIn(BaseModel):
    message: dict[str, Any]
    type: str = "text"


@router.post(A + "/messenger/v1/accounts/{uid}/chats/{chat_id}/messages")
async def send(
    request: Request, uid: int, chat_id: str, body: SendIn, authorization: Auth = None
) -> Response:
    chat = _chat(request, authorization, uid, chat_id)
    if isinstance(chat, Response):
        return chat
    text = body.message.get("text")
    if not isinstance(text, str) or not text:
        return _error(400, "message.text is required")
    if len(text) > SEND_LIMIT:
        return _error(400, f"text longer than {SEND_LIMIT} characters")
    state = _state(request)
    message = Message(f"m{state.next_id()}", chat.user_id, int(time.time()), text)
    chat.messages.append(message)
    return JSONResponse(
        {
            "id": message.id,
            "created": message.created,
            "type": "text",
            "content": {"text": text},
            "direction": "out",
        }
    )


@router.post(A + "/messenger/v3/webhook")
async def subscribe(request: Request, body: dict[str, Any], authorization: Auth = None) -> Response:
    user = _authorize(request, authorization)
    if isinstance(user, Response):
        return user
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return _error(400, "url is required")
    _state(request).webhooks[user] = url
    return JSONResponse({"ok": True})


# --- controls and the guest side ----------------------------------------------------------

S = "/sandbox/avito"


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: int = Field(ge=1)
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    name: str = "Landlord"


@router.post(f"{S}/accounts")
async def add_account(request: Request, body: AccountIn) -> dict[str, Any]:
    state = _state(request)
    state.accounts[body.user_id] = Account(
        body.user_id, body.client_id, body.client_secret, body.name
    )
    return {"user_id": body.user_id}


@router.post(S + "/accounts/{uid}/revoke")
async def revoke(request: Request, uid: int) -> dict[str, Any]:
    state = _state(request)
    if uid in state.accounts:
        state.accounts[uid].revoked = True
    return {"revoked": uid in state.accounts}


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: int
    title: str
    address: str = ""
    price: int = 3000
    id: int | None = None


@router.post(f"{S}/items")
async def add_item(request: Request, body: ItemIn) -> dict[str, Any]:
    state = _state(request)
    item_id = body.id or 1_000_000 + state.next_id()
    state.items[item_id] = Item(item_id, body.user_id, body.title, body.address, body.price)
    return {"id": item_id}


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: int
    check_in: date
    check_out: date
    status: Literal["active", "canceled", "pending"] = "active"
    name: str = "Guest"
    guest_count: int = 2
    base_price: int = 0
    paid: bool = True
    id: int | None = None


@router.post(f"{S}/bookings")
async def add_booking(request: Request, body: BookingIn) -> dict[str, Any]:
    """Add or change a booking (by ``id``), as a guest booking on Avito would."""
    state = _state(request)
    booking_id = body.id or 5_000_000 + state.next_id()
    state.bookings[booking_id] = Booking(
        booking_id,
        body.item_id,
        body.check_in,
        body.check_out,
        body.status,
        body.guest_count,
        body.base_price,
        body.name,
        body.paid,
    )
    return {"id": booking_id}


class FaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["429", "500", "503", "expire"]
    times: int = Field(1, ge=1, le=10_000)


@router.post(f"{S}/faults")
async def faults(request: Request, body: FaultIn) -> dict[str, Any]:
    state = _state(request)
    state.faults.extend([body.kind] * body.times)
    return {"queued": len(state.faults)}


class GuestMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20_000)
    item_id: int | None = None
    chat_id: str | None = None
    name: str = "Гость"


@router.post(S + "/guests/{guest_id}/messages")
async def guest_writes(request: Request, guest_id: int, body: GuestMessageIn) -> dict[str, Any]:
    """A guest writes to a landlord about an item (a new chat unless ``chat_id``); the
    message is pushed to the landlord's webhook if one is subscribed."""
    state = _state(request)
    if body.chat_id is not None:
        chat = state.chats.get(body.chat_id)
        if chat is None or chat.guest_id != guest_id:
            return {"error": "no such chat for this guest"}
    else:
        item = state.items.get(body.item_id or 0)
        if item is None:
            return {"error": "no such item"}
        chat = next(
            (c for c in state.chats.values() if c.guest_id == guest_id and c.item_id == item.id),
            None,
        )
        if chat is None:
            chat = Chat(f"u2i-{state.next_id()}", item.user_id, item.id, guest_id, body.name)
            state.chats[chat.id] = chat
    message = Message(f"m{state.next_id()}", guest_id, int(time.time()), body.text)
    chat.messages.append(message)
    delivered = await _push(request, chat, message)
    return {"chat_id": chat.id, "message_id": message.id, "delivered": delivered}


def event_of(chat: Chat, message: Message, event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "version": "v3.0.0",
        "timestamp": message.created,
        "payload": {
            "type": "message",
            "value": {
                "id": message.id,
                "chat_id": chat.id,
                "chat_type": "u2i",
                "user_id": chat.user_id,
                "author_id": message.author_id,
                "item_id": chat.item_id,
                "created": message.created,
                "type": message.type,
                "content": {"text": message.text},
                "published_at": "",
            },
        },
    }


async def _push(request: Request, chat: Chat, message: Message) -> int | None:
    state = _state(request)
    url = state.webhooks.get(chat.user_id)
    if url is None:
        return None
    event = event_of(chat, message, f"ev-{message.id}")
    http: httpx.AsyncClient = request.app.state.avito_http
    try:
        response = await http.post(url, json=event, timeout=2.0)
    except httpx.HTTPError as exc:
        log.warning("avito webhook push to the gateway failed: %r", exc)
        return 0
    state.deliveries.append({"event": event, "status": response.status_code})
    return response.status_code


@router.get(S + "/chats/{chat_id}")
async def read_chat(request: Request, chat_id: str) -> Response:
    chat = _state(request).chats.get(chat_id)
    if chat is None:
        return _error(404, "chat not found")
    return JSONResponse(
        {
            "id": chat.id,
            "landlord_id": chat.user_id,
            "guest_id": chat.guest_id,
            "item_id": chat.item_id,
            "messages": [m.to_json() for m in chat.messages],
        }
    )


@router.get(S + "/chats/{chat_id}/page", response_class=HTMLResponse)
async def chat_page(request: Request, chat_id: str) -> HTMLResponse:
    """A guest's chat as a page (the sandbox UI's Avito view); text shown escaped."""
    chat = _state(request).chats.get(chat_id)
    if chat is None:
        return HTMLResponse("<p>No such chat</p>", 404)
    rows = "".join(
        f'<li class="{"guest" if m.author_id == chat.guest_id else "landlord"}">'
        f"<b>{'Гость' if m.author_id == chat.guest_id else 'Хозяин'}</b>: "
        f"{html.escape(m.text)}</li>"
        for m in chat.messages
    )
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'><title>Avito chat</title>"
        "<meta http-equiv='refresh' content='3'></head><body>"
        f"<h1>Avito chat {html.escape(chat.id)}</h1>"
        f"<p>Item {chat.item_id}, guest {html.escape(chat.guest_name)}</p>"
        f"<ul id='messages'>{rows}</ul></body></html>"
    )


@router.get(S + "/items/{item_id}/calendar")
async def item_calendar(
    request: Request, item_id: int, date_start: date, date_end: date
) -> Response:
    state = _state(request)
    if item_id not in state.items or date_end <= date_start or (date_end - date_start).days > 400:
        return _error(404, "item not found or bad range")
    return JSONResponse(state.calendar(item_id, date_start, date_end))


@router.get(f"{S}/stats")
async def stats(request: Request) -> dict[str, Any]:
    state = _state(request)
    return {
        "calls": list(state.calls[-1000:]),
        "deliveries": len(state.deliveries),
        "webhooks": {str(k): v for k, v in state.webhooks.items()},
    }


@router.post(f"{S}/reset")
async def reset(request: Request) -> dict[str, bool]:
    _state(request).reset()
    return {"ok": True}

"""Landlords in the chat: connect an Avito account, see calendars, close and open dates.

- ``/avito_connect``: the client id, then the secret (the message holding it is deleted
  at once); the api checks them with Avito through the gateway before storing them
  (encrypted) and imports the items. The step in between lives in Redis
  (``rentals:connect:<user>``, 10 minutes), so a restarted bot loses nothing.
- ``/calendar``: an item, then a month grid (🟩 free, ⬛ closed, 🟥 booked) with ◀ ▶.
- ``/close_dates`` and ``/open_dates``: an item, then a date-range picker (first day, last
  day, months navigable); the api previews the change ("closes 14 dates, opens 3"); the
  Confirm button writes it (the full open set goes to Avito). The pending preview lives in
  Redis (``rentals:pending:<user>``) since its token is too long for callback data.

Callback data ``rt:<what>:...``; button handlers never answer the press (the consumer did).
"""

from __future__ import annotations

import calendar as months
import html
import logging
from datetime import date, timedelta
from typing import Any

import orjson
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from concierge.bot.callback_data import pack, pattern, unpack
from concierge.bot.deps import deps_of, language_of
from concierge.bot.edits import edit_in_place
from concierge.bot.market.webapp import webapp_button, webapp_url
from concierge.bot.media import handlers as media_handlers
from concierge.bot.rentals.steps import (
    STATE_TTL_S,
    load_step,
    pick_item,
    redis_of,
    save_step,
    say,
)
from concierge.bot.texts import rentals_text
from concierge.common.clock import utcnow
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.identity import Language
from concierge.contracts.rentals import (
    AccountConnect,
    CalendarChange,
    CalendarConfirm,
    CalendarMonth,
    DayRange,
)
from concierge.contracts.rentals_client import RentalsApiClient

CALENDARS = "calendars"  # the Mini App page the /calendar message links to
log = logging.getLogger(__name__)

PREFIX = "rt"
MARKS = {"free": "🟩", "closed": "⬛", "booked": "🟥"}
ACTIONS = {"c": "close", "o": "open"}


def client(context: ContextTypes.DEFAULT_TYPE) -> RentalsApiClient:
    return RentalsApiClient(deps_of(context).market.http)


def _connect_key(user: int) -> str:
    return f"rentals:connect:{user}"


def _pending_key(user: int) -> str:
    return f"rentals:pending:{user}"


# --- onboarding ---------------------------------------------------------------------------


async def connect_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    language = await language_of(update, context)
    await save_step(context, _connect_key(user.id), {"step": "client_id"})
    await say(update, rentals_text(language, "ask_client_id"))


async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    await redis_of(context).delete(_connect_key(user.id), _pending_key(user.id))
    await media_handlers.cancel_dialog(context, user.id)
    await say(update, rentals_text(await language_of(update, context), "cancelled"))


async def take_text(update: Update, context: ContextTypes.DEFAULT_TYPE, said: str) -> bool:
    """True when the text was a step of /avito_connect (the client id, or the secret)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return False
    step = await load_step(context, _connect_key(user.id), take=False)
    if step is None:
        return False
    state = step[1]
    language = await language_of(update, context)
    said = said.strip()
    if state.get("step") == "client_id":
        if not said or len(said) > 200 or any(c.isspace() for c in said):
            await say(update, rentals_text(language, "ask_client_id"))
            return True
        await save_step(context, _connect_key(user.id), {"step": "secret", "client_id": said})
        await say(update, rentals_text(language, "ask_secret"))
        return True
    await redis_of(context).delete(_connect_key(user.id))
    try:
        await message.delete()  # the secret leaves the chat at once
    except TelegramError:
        log.warning("could not delete the message holding an Avito secret")
    await _connect(update, context, language, str(state.get("client_id", "")), said)
    return True


async def _connect(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language, client_id: str,
    secret: str,
) -> None:  # fmt: skip
    user = update.effective_user
    assert user is not None
    if update.effective_chat is not None:
        await update.effective_chat.send_action("typing")  # the check takes a moment
    try:
        data = AccountConnect(client_id=client_id, client_secret=secret[:500] or "-")
        account = await client(context).connect(user.id, data)
        synced = await client(context).sync(user.id, account.id)
    except (ServiceResponseError, ValueError):
        await say(update, rentals_text(language, "refused"))
        return
    except ServiceUnavailable:
        await say(update, rentals_text(language, "unavailable"))
        return
    name = html.escape(account.name or str(account.avito_user_id))
    await say(update, rentals_text(language, "connected", name=name, items=str(synced.items)))


# --- items, the month grid, the picker --------------------------------------------------


async def _item_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str) -> None:
    month = _month_code(utcnow().date())
    app_url = webapp_url(update, context) if what == "cal" else None

    def calendars(language: Language) -> list[list[InlineKeyboardButton]]:
        if app_url is None:
            return []
        # the Mini App's Calendars page: every item side by side
        return [[webapp_button(rentals_text(language, "all_calendars"), app_url, CALENDARS)]]

    await pick_item(
        update,
        context,
        rentals_text,
        lambda item: pack(PREFIX, what, item.id, month, 0),
        calendars,
    )


async def calendar_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _item_menu(update, context, "cal")


async def close_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _item_menu(update, context, "c")


async def open_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _item_menu(update, context, "o")


def _month_code(day: date) -> str:
    return day.strftime("%Y%m")


def _shift(code: str, by: int) -> str:
    year, month = int(code[:4]), int(code[4:]) + by
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return f"{year:04d}{month:02d}"


def grid(view: CalendarMonth, what: str, start: int = 0) -> InlineKeyboardMarkup:
    """The month as buttons: one per day (a mark for its state), ◀ ▶ to move."""
    code = view.month.replace("-", "")
    states = {d.date: d.state for d in view.days}
    first = date(int(code[:4]), int(code[4:]), 1)
    rows: list[list[InlineKeyboardButton]] = []
    for week in months.Calendar().monthdatescalendar(first.year, first.month):
        row = []
        for day in week:
            if day.month != first.month:
                row.append(InlineKeyboardButton(" ", callback_data=pack(PREFIX, "noop")))
                continue
            label = f"{day.day}{MARKS[states.get(day, 'free')]}"
            if what == "cal":
                data = pack(PREFIX, "noop")
            else:
                data = pack(PREFIX, "d", what, view.item_id, day.strftime("%Y%m%d"), start)
            row.append(InlineKeyboardButton(label, callback_data=data))
        rows.append(row)
    back = pack(PREFIX, what, view.item_id, _shift(code, -1), start)
    forward = pack(PREFIX, what, view.item_id, _shift(code, 1), start)
    rows.append(
        [
            InlineKeyboardButton("◀", callback_data=back),
            InlineKeyboardButton(view.month, callback_data=pack(PREFIX, "noop")),
            InlineKeyboardButton("▶", callback_data=forward),
        ]
    )
    return InlineKeyboardMarkup(rows)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    _, fields = unpack(query.data)
    language = await language_of(update, context)
    try:
        match fields:
            case ["cal" | "c" | "o" as what, item, code, start] if (
                code.isdigit() and len(code) == 6
            ):
                await _show_month(query, context, language, what, int(item), code, int(start))
            case ["d", what, item, day, start] if what in ACTIONS:
                await _pick_day(query, context, language, what, int(item), day, int(start))
            case ["ok"]:
                await _confirm(query, context, language, user.id)
            case ["no"]:
                await redis_of(context).delete(_pending_key(user.id))
                await edit_in_place(query, rentals_text(language, "cancelled"), None)
            case _:
                return
    except ServiceUnavailable:
        await edit_in_place(query, rentals_text(language, "unavailable"), None)
    except ServiceResponseError as exc:
        reason = html.escape(str(exc.detail))[:300]
        await edit_in_place(query, rentals_text(language, "refused_change", reason=reason), None)
    except ValueError:
        await edit_in_place(query, rentals_text(language, "expired"), None)


async def _show_month(
    query: Any, context: ContextTypes.DEFAULT_TYPE, language: Language, what: str, item: int,
    code: str, start: int,
) -> None:  # fmt: skip
    month = f"{code[:4]}-{code[4:]}"
    view = await client(context).month(query.from_user.id, item, month)
    if what == "cal":
        header = rentals_text(language, "legend")
    elif start:
        shown = date.fromisoformat(f"{str(start)[:4]}-{str(start)[4:6]}-{str(start)[6:]}")
        header = rentals_text(language, "pick_end", action=_action(language, what),
                              start=shown.isoformat())  # fmt: skip
    else:
        header = rentals_text(language, "pick_start", action=_action(language, what))
    await edit_in_place(query, f"<b>{month}</b>\n{header}", grid(view, what, start))


def _action(language: Language, what: str) -> str:
    return rentals_text(language, f"action_{ACTIONS[what]}")


def _day(code: str | int) -> date:
    text = str(code)
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


async def _pick_day(
    query: Any, context: ContextTypes.DEFAULT_TYPE, language: Language, what: str, item: int,
    day: str, start: int,
) -> None:  # fmt: skip
    if not start:  # the first tap: the range's first day
        await _show_month(query, context, language, what, item, day[:6], int(day))
        return
    first, last = sorted((_day(start), _day(day)))
    change = CalendarChange(
        action=ACTIONS[what],
        ranges=[DayRange(date_start=first, date_end=last + timedelta(days=1))],
    )
    preview = await client(context).preview(query.from_user.id, item, change)
    pending = {"item": item, "change": change.model_dump(mode="json"), "token": preview.token}
    await redis_of(context).set(
        _pending_key(query.from_user.id), orjson.dumps(pending), ex=STATE_TTL_S
    )
    body = rentals_text(
        language, "preview", action=_action(language, what), start=first.isoformat(),
        end=last.isoformat(), closes=str(len(preview.closes)), opens=str(len(preview.opens)),
    )  # fmt: skip
    buttons = InlineKeyboardMarkup([[
        InlineKeyboardButton(rentals_text(language, "confirm"), callback_data=pack(PREFIX, "ok")),
        InlineKeyboardButton(rentals_text(language, "cancel"), callback_data=pack(PREFIX, "no")),
    ]])  # fmt: skip
    await edit_in_place(query, body, buttons)


async def _confirm(
    query: Any, context: ContextTypes.DEFAULT_TYPE, language: Language, user: int
) -> None:
    raw = await redis_of(context).getdel(_pending_key(user))
    if raw is None:
        await edit_in_place(query, rentals_text(language, "expired"), None)
        return
    pending = orjson.loads(raw)
    data = CalendarConfirm(**pending["change"], token=pending["token"])
    written = await client(context).confirm(user, int(pending["item"]), data)
    body = rentals_text(language, "written", closed=str(written.closed), opened=str(written.opened))
    await edit_in_place(query, body, None)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("avito_connect", connect_command))
    application.add_handler(CommandHandler("calendar", calendar_command))
    application.add_handler(CommandHandler("close_dates", close_command))
    application.add_handler(CommandHandler("open_dates", open_command))
    application.add_handler(CommandHandler("cancel", cancel_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))

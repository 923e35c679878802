"""Landlords and the guest assistant in the chat.

- ``/house_rules``: an item, then the rules as one message (replaces them).
- ``/faq``: an item; its FAQ is shown; then ``question? answer`` (or the question on the
  first line, the answer on the next) adds an entry.
- ``/house_rules``, ``/faq`` and ``/guest_mode`` also offer the Mini App's Assistant page.
- ``/guest_mode``: an item, then auto / draft / off, and its time zone (an IANA name the
  quiet hours and the arrivals digest are read in; a name the api does not know is
  refused with its reason).
- The assistant's notifications carry ``rg:send|edit|skip:<draft>`` (a proposed reply;
  an expired one is not sent), ``rg:resume:<chat>`` (after a hand-off) and
  ``rg:lk:<chat>`` (Link booking: the item's current and upcoming bookings, then
  ``rg:lb:<chat>:<booking>`` links one, ``rg:ub:<chat>`` unlinks). Edit asks for the new
  text, then sends it.

The step in between lives in Redis (``rentals:guest:<user>``, 10 minutes).
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from concierge.bot.callback_data import pack, pattern, unpack
from concierge.bot.deps import deps_of, language_of
from concierge.bot.edits import edit_in_place
from concierge.bot.market.webapp import webapp_button, webapp_url
from concierge.bot.rentals.guest_texts import guest_text
from concierge.bot.rentals.steps import load_step, pick_item, save_step, say
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.errors import ErrorCode
from concierge.contracts.guest import MAX_FACTS, FaqCreate, GuestApiClient, GuestSettings
from concierge.contracts.identity import Language

log = logging.getLogger(__name__)

PREFIX = "rg"
MODES = ("auto", "draft", "off")
GUEST_PAGE = "guest"  # the Mini App page with the assistant's settings


def client(context: ContextTypes.DEFAULT_TYPE) -> GuestApiClient:
    return GuestApiClient(deps_of(context).market.http)


def _key(user: int) -> str:
    return f"rentals:guest:{user}"


async def _pick_item(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str) -> None:
    app_url = webapp_url(update, context)

    def settings_page(language: Language) -> list[list[InlineKeyboardButton]]:
        # the Mini App's Assistant page: every setting of an item on one screen
        if app_url is None:
            return []
        return [[webapp_button(guest_text(language, "all_settings"), app_url, GUEST_PAGE)]]

    await pick_item(
        update, context, guest_text, lambda item: pack(PREFIX, what, item.id), settings_page
    )


async def house_rules_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _pick_item(update, context, "hr")


async def faq_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _pick_item(update, context, "fq")


async def mode_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _pick_item(update, context, "gm")


def split_faq(said: str) -> tuple[str, str] | None:
    """``question? answer`` or the question's line then the answer's."""
    said = said.strip()
    if "\n" in said:
        question, answer = said.split("\n", 1)
    else:
        parts = re.split(r"(?<=\?)\s+", said, maxsplit=1)
        if len(parts) != 2:
            return None
        question, answer = parts
    question, answer = question.strip(), answer.strip()
    if not question or not answer or len(question) > 500 or len(answer) > 2000:
        return None
    return question, answer


async def take_text(update: Update, context: ContextTypes.DEFAULT_TYPE, said: str) -> bool:
    """True when the text was a step here (house rules, an FAQ entry, an edited reply)."""
    user = update.effective_user
    if user is None:
        return False
    step = await load_step(context, _key(user.id), take=True)
    if step is None:
        return False
    raw, state = step
    language = await language_of(update, context)
    api = client(context)
    try:
        match state:
            case {"step": "rules", "item": int(item)}:
                await api.update(user.id, item, GuestSettings(house_rules=said[:MAX_FACTS]))
                await say(update, guest_text(language, "rules_saved"))
            case {"step": "faq", "item": int(item)}:
                entry = split_faq(said)
                if entry is None:
                    await save_step(context, _key(user.id), raw)
                    await say(update, guest_text(language, "faq_format"))
                    return True
                await api.add_faq(user.id, item, FaqCreate(question=entry[0], answer=entry[1]))
                await say(update, guest_text(language, "faq_saved"))
            case {"step": "edit", "draft": int(draft)}:
                result = await api.send_draft(user.id, draft, said[:10_000])
                await say(update, guest_text(language, "sent", parts=str(result.parts)))
            case {"step": "tz", "item": int(item)}:
                zone = said.strip()[:64]
                saved = await api.update(user.id, item, GuestSettings(time_zone=zone))
                await say(update, guest_text(language, "tz_set", zone=saved.time_zone))
            case _:
                return False
    except ServiceUnavailable:
        await say(update, guest_text(language, "unavailable"))
    except (ServiceResponseError, ValueError) as exc:
        await say(update, _refused(language, exc))
    return True


def _refused(language: Language, exc: Exception) -> str:
    if getattr(exc, "code", None) == ErrorCode.DRAFT_EXPIRED:
        return guest_text(language, "expired")
    detail = getattr(exc, "detail", None)
    if isinstance(detail, list):  # a 422's field errors: their messages
        detail = "; ".join(str(e.get("msg", e)) if isinstance(e, dict) else str(e)
                           for e in detail)  # fmt: skip
    elif detail is None:  # a contract refused the value before it was sent
        errors = getattr(exc, "errors", None)
        detail = "; ".join(e["msg"] for e in errors()) if callable(errors) else exc
    return guest_text(language, "refused", reason=html.escape(str(detail))[:300])


async def _bookings(
    api: GuestApiClient, user: int, chat: int, language: Language
) -> tuple[str, InlineKeyboardMarkup]:
    found = await api.chat_bookings(user, chat)
    rows = [
        [InlineKeyboardButton(f"{b.check_in:%d.%m}–{b.check_out:%d.%m} {b.guest_name or '—'}"[:60],
                              callback_data=pack(PREFIX, "lb", chat, b.id))]
        for b in found
    ]  # fmt: skip
    rows.append([InlineKeyboardButton(guest_text(language, "unlink"),
                                      callback_data=pack(PREFIX, "ub", chat))])  # fmt: skip
    return guest_text(language, "pick_booking" if found else "no_bookings"), InlineKeyboardMarkup(
        rows
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    _, fields = unpack(query.data)
    language = await language_of(update, context)
    api = client(context)
    try:
        match fields:
            case ["hr", item] if item.isdigit():
                current = await api.settings(user.id, int(item))
                state = {"step": "rules", "item": int(item)}
                await save_step(context, _key(user.id), state)
                rules = html.escape(current.house_rules or "—")[:3000]
                await edit_in_place(query, guest_text(language, "ask_rules", rules=rules), None)
            case ["fq", item] if item.isdigit():
                entries = await api.faq(user.id, int(item))
                state = {"step": "faq", "item": int(item)}
                await save_step(context, _key(user.id), state)
                listed = "\n".join(f"• <b>{html.escape(e.question)}</b> {html.escape(e.answer)}"
                                   for e in entries[:30]) or "—"  # fmt: skip
                await edit_in_place(query, guest_text(language, "ask_faq", faq=listed[:3000]), None)
            case ["gm", item] if item.isdigit():
                current = await api.settings(user.id, int(item))
                rows = [[InlineKeyboardButton(("• " if m == current.mode else "")
                                              + guest_text(language, f"mode_{m}"),
                                              callback_data=pack(PREFIX, "md", item, m))]
                        for m in MODES]  # fmt: skip
                rows.append([InlineKeyboardButton(
                    guest_text(language, "tz_button", zone=current.time_zone),
                    callback_data=pack(PREFIX, "tz", item))])  # fmt: skip
                await edit_in_place(
                    query, guest_text(language, "pick_mode"), InlineKeyboardMarkup(rows)
                )
            case ["md", item, mode] if item.isdigit() and mode in MODES:
                await api.update(user.id, int(item), GuestSettings(mode=mode))
                text = guest_text(language, "mode_set", mode=guest_text(language, f"mode_{mode}"))
                await edit_in_place(query, text, None)
            case ["send", draft] if draft.isdigit():
                result = await api.send_draft(user.id, int(draft))
                await edit_in_place(
                    query, guest_text(language, "sent", parts=str(result.parts)), None
                )
            case ["skip", draft] if draft.isdigit():
                await api.skip_draft(user.id, int(draft))
                await edit_in_place(query, guest_text(language, "skipped"), None)
            case ["edit", draft] if draft.isdigit():
                state = {"step": "edit", "draft": int(draft)}
                await save_step(context, _key(user.id), state)
                await say(update, guest_text(language, "ask_edit"))
            case ["tz", item] if item.isdigit():
                current = await api.settings(user.id, int(item))
                state = {"step": "tz", "item": int(item)}
                await save_step(context, _key(user.id), state)
                await say(update, guest_text(language, "ask_tz", zone=current.time_zone))
            case ["lk", chat] if chat.isdigit():
                body, markup = await _bookings(api, user.id, int(chat), language)
                await say(update, body, markup)
            case ["lb", chat, booking] if chat.isdigit() and booking.isdigit():
                linked = await api.link_booking(user.id, int(chat), int(booking))
                await edit_in_place(
                    query, guest_text(language, "linked", booking=str(linked.booking_id)), None
                )
            case ["ub", chat] if chat.isdigit():
                await api.link_booking(user.id, int(chat), None)
                await edit_in_place(query, guest_text(language, "unlinked"), None)
            case ["resume", chat] if chat.isdigit():
                await api.resume(user.id, int(chat))
                link = InlineKeyboardButton(guest_text(language, "link"),
                                            callback_data=pack(PREFIX, "lk", chat))  # fmt: skip
                await edit_in_place(
                    query, guest_text(language, "resumed"), InlineKeyboardMarkup([[link]])
                )
            case _:
                return
    except ServiceUnavailable:
        await edit_in_place(query, guest_text(language, "unavailable"), None)
    except ServiceResponseError as exc:
        await edit_in_place(query, _refused(language, exc), None)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("house_rules", house_rules_command))
    application.add_handler(CommandHandler("faq", faq_command))
    application.add_handler(CommandHandler("guest_mode", mode_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))

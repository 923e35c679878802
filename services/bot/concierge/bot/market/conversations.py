"""Buyers and sellers talking through the bot, and the market's buttons under messages.

- Plain text in a private chat is first offered to ``take_text``: an admin writing a
  rejection reason, or a chat that belongs to a conversation (a buyer pressed "Write to
  the seller", either side "Reply"), takes it; the api relays it to the other side
  through the outbox (neither sees the other's account). Anything else goes on to search.
- ``lst:*`` buttons: write to the seller, mark sold/reserved/available, renew, report.
  ``inq:*`` buttons: reply, end, block. The api does the work for the user who pressed
  (``X-Acting-User``) and prompts in the chat where that is its business (a
  conversation's prompt comes through the outbox); the bot answers the rest here, in the
  user's language, refusals included (``market.errors``).

Button handlers never answer the press: the consumer did, when it read the update.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from concierge.bot.callback_data import pattern, unpack
from concierge.bot.deps import deps_of, language_of
from concierge.bot.edits import edit_in_place
from concierge.bot.market import moderation
from concierge.bot.market.errors import tell, tell_error
from concierge.bot.texts import text
from concierge.common.http_client import ServiceResponseError
from concierge.contracts.identity import Language
from concierge.contracts.market import Availability, InquiryRole, ReportReason
from concierge.contracts.market_buttons import (
    INQUIRY,
    LISTING,
    InquiryAction,
    ListingAction,
    listing_data,
)

log = logging.getLogger(__name__)

REPORT_REASONS_PER_ROW = 2
AVAILABILITIES = frozenset(member.value for member in Availability)
REASONS = frozenset(member.value for member in ReportReason)


def day(moment: datetime | None, language: Language) -> str:
    if moment is None:
        return ""
    return moment.strftime("%d.%m.%Y" if language == Language.RU else "%d %b %Y")


# --- plain text -------------------------------------------------------------------


async def take_text(update: Update, context: ContextTypes.DEFAULT_TYPE, message: str) -> bool:
    """True when the text was the market's (a rejection reason, or a message of a
    conversation); False leaves it to search."""
    if await moderation.take_reason(update, context, message):
        return True
    return await relay(update, context, message)


async def relay(update: Update, context: ContextTypes.DEFAULT_TYPE, message: str) -> bool:
    user, chat, sent = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or sent is None or not message.strip():
        return False
    deps = deps_of(context)
    try:
        outcome = await deps.market.relay(user.id, message, f"tg:{chat.id}:{sent.message_id}")
    except ServiceResponseError as error:
        if error.status_code == 401:  # a user api does not know is in no conversation
            return False
        await tell_error(update, await language_of(update, context), error)
        return True
    if not outcome.relayed:
        return False
    if outcome.first and outcome.inquiry is not None:
        language = await language_of(update, context)
        key = (
            "relay_sent_to_seller"
            if outcome.inquiry.role == InquiryRole.BUYER
            else "relay_sent_to_buyer"
        )
        await tell(update, language, text(language, key))
    return True


# --- buttons ----------------------------------------------------------------------


def _fields(update: Update) -> tuple[str, int, str]:
    """(action, id, value) of a market button: ``prefix:action:id[:value]``."""
    query = update.callback_query
    _, fields = unpack(query.data if query and query.data else "")
    action = fields[0] if fields else ""
    target = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
    return action, target, fields[2] if len(fields) > 2 else ""


async def listing_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    deps = deps_of(context)
    language = await language_of(update, context)
    action, listing_id, value = _fields(update)
    if not listing_id:
        return
    await deps.users.ensure_registered(user)
    try:
        match action:
            case ListingAction.WRITE:
                await deps.market.write_to_seller(user.id, listing_id)  # prompt: outbox
            case ListingAction.AVAILABILITY if value in AVAILABILITIES:
                listing = await deps.market.set_availability(
                    user.id, listing_id, Availability(value)
                )
                title = html.escape(listing.title)
                await tell(update, language, text(language, f"marked_{value}", title=title))
            case ListingAction.RENEW:
                listing = await deps.market.renew(user.id, listing_id)
                date = day(listing.expires_at, language)
                title = html.escape(listing.title)
                await tell(update, language, text(language, "renewed", title=title, date=date))
            case ListingAction.REPORT if value in REASONS:
                listing = await deps.market.listing(user.id, listing_id)
                await deps.market.report(user.id, listing_id, ReportReason(value))
                body = text(language, "report_sent", title=html.escape(listing.title))
                query = update.callback_query
                assert query is not None
                await edit_in_place(query, body, None)
            case ListingAction.REPORT:
                listing = await deps.market.listing(user.id, listing_id)
                body = text(language, "report_prompt", title=html.escape(listing.title))
                await _send(update, body, report_reasons(language, listing_id))
    except ServiceResponseError as error:
        await tell_error(update, language, error)


def report_reasons(language: Language, listing_id: int) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text(language, f"report_reason_{reason.value}"),
            callback_data=listing_data(ListingAction.REPORT, listing_id, reason.value),
        )
        for reason in ReportReason
    ]
    step = REPORT_REASONS_PER_ROW
    return InlineKeyboardMarkup([buttons[n : n + step] for n in range(0, len(buttons), step)])


async def inquiry_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    deps = deps_of(context)
    language = await language_of(update, context)
    action, inquiry_id, _ = _fields(update)
    calls = {InquiryAction.REPLY: "focus", InquiryAction.END: "close", InquiryAction.BLOCK: "block"}
    if not inquiry_id or action not in calls:
        return
    await deps.users.ensure_registered(user)
    try:
        inquiry = await deps.market.inquiry_action(
            user.id, inquiry_id, calls[InquiryAction(action)]
        )
    except ServiceResponseError as error:
        await tell_error(update, language, error)
        return
    title = html.escape(inquiry.listing_title)
    if action == InquiryAction.END:
        await tell(update, language, text(language, "conversation_ended", title=title))
    elif action == InquiryAction.BLOCK:
        number = str(inquiry.buyer_number)
        await tell(update, language, text(language, "buyer_blocked", number=number))
    # REPLY: the api's prompt (through the outbox) says where the text goes now.


async def _send(update: Update, body: str, markup: InlineKeyboardMarkup | None) -> None:
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            body, parse_mode=ParseMode.HTML, reply_markup=markup
        )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CallbackQueryHandler(listing_button, pattern=pattern(LISTING)))
    application.add_handler(CallbackQueryHandler(inquiry_button, pattern=pattern(INQUIRY)))

"""Moderation in the bot, for admins: ``/moderation`` and the menu's "Moderation (N)"
show the oldest listing waiting, with Approve, Reject (the admin then writes the reason,
which the author reads) and Next; the Mini App's moderation (photos, reports) is a button
away. A decision names the revision the admin saw: a listing changed since is shown
again instead. The count is read from the api each time, so an admin who never opened
the bot (their notice of a new listing failed: "chat not found") sees it at /start.

The reason an admin is writing waits in Redis (``bot:modreason:<admin>``, ten minutes):
short-lived dialogue state, read by ``take_reason`` before any other use of the text, and
forgotten only once the answer is sent.

A handler may run twice for one update (a reply met Telegram's flood control and the
update is retried): a decision the api refuses because the listing is no longer
pending counts as made when the listing now stands as that decision left it.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from concierge.bot.callback_data import pattern, unpack
from concierge.bot.deps import deps_of, language_of
from concierge.bot.edits import edit_in_place
from concierge.bot.market.errors import error_text, tell, tell_error
from concierge.bot.market.webapp import webapp_button, webapp_url
from concierge.bot.texts import text
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.errors import ErrorCode
from concierge.contracts.identity import Language
from concierge.contracts.market import ListingRead, ListingStatus
from concierge.contracts.market_buttons import MODERATION, ModerationAction, moderation_data
from concierge.contracts.prices import format_price

log = logging.getLogger(__name__)

REASON_TTL_S = 600
REASON_MIN, REASON_MAX = 3, 500  # the api's ModerationDecision.reason
DESCRIPTION_SHOWN = 700
QUEUE_LOOKAHEAD = 50


def _reason_key(admin_id: int) -> str:
    return f"bot:modreason:{admin_id}"


async def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and await deps_of(context).users.is_admin(user.id)


async def pending_count(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Listings waiting for moderation, for an admin; None for anyone else, and while the
    api cannot say (a menu is shown without it rather than not at all)."""
    user = update.effective_user
    try:
        if user is None or not await is_admin(update, context):
            return None
        return (await deps_of(context).market.moderation_summary(user.id)).pending
    except (ServiceUnavailable, ServiceResponseError) as exc:
        log.warning("the moderation count is unknown: %r", exc)
        return None


async def admin_menu_rows(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language
) -> list[list[InlineKeyboardButton]]:
    """The main menu's "Moderation (N)" for an admin in a private chat."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return []
    count = await pending_count(update, context)
    if count is None:
        return []
    label = text(language, "button_moderation", count=str(count))
    return [[InlineKeyboardButton(label, callback_data=moderation_data(ModerationAction.SHOW))]]


# --- the queue, one listing at a time ---------------------------------------------


def _category(listing: ListingRead, language: Language) -> str:
    return text(language, f"category_{listing.category.value}")


def card_text(listing: ListingRead, language: Language) -> str:
    body = text(
        language,
        "moderation_card",
        title=html.escape(listing.title),
        price=html.escape(format_price(listing.price, listing.currency, language)),
        city=html.escape(listing.city),
        category=_category(listing, language),
        photos=str(len(listing.photos)),
    )
    description = listing.description.strip()
    if len(description) > DESCRIPTION_SHOWN:
        description = description[: DESCRIPTION_SHOWN - 1].rstrip() + "…"
    return f"{body}\n\n{html.escape(description)}" if description else body


def card_buttons(
    listing: ListingRead | None, language: Language, app_url: str | None
) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    if listing is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    text(language, "moderation_approve"),
                    callback_data=moderation_data(
                        ModerationAction.APPROVE, listing.id, listing.revision
                    ),
                ),
                InlineKeyboardButton(
                    text(language, "moderation_reject"),
                    callback_data=moderation_data(
                        ModerationAction.REJECT, listing.id, listing.revision
                    ),
                ),
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text(language, "moderation_next"),
                    callback_data=moderation_data(ModerationAction.SHOW, listing.id),
                )
            ]
        )
    if app_url:
        rows.append([webapp_button(text(language, "moderation_open_app"), app_url, "moderation")])
    return InlineKeyboardMarkup(rows) if rows else None


async def queue_view(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: Language,
    after: int = 0,
    note: str = "",
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The summary and the oldest waiting listing (the one after listing ``after`` when
    given, from the start again past the end), with a note above."""
    user = update.effective_user
    assert user is not None
    market = deps_of(context).market
    summary = await market.moderation_summary(user.id)
    waiting = (await market.moderation_queue(user.id, QUEUE_LOOKAHEAD)).items
    ids = [listing.id for listing in waiting]
    index = ids.index(after) + 1 if after in ids else 0
    shown = waiting[index] if index < len(waiting) else (waiting[0] if waiting else None)
    parts = [note] if note else []
    parts.append(
        text(
            language,
            "moderation_summary",
            pending=str(summary.pending),
            reported=str(summary.reported),
        )
    )
    if shown is None:
        parts.append(text(language, "moderation_empty"))
    else:
        parts.append(card_text(shown, language))
    if summary.reported:
        parts.append(text(language, "moderation_reports_note"))
    return "\n\n".join(parts), card_buttons(shown, language, webapp_url(update, context))


async def _admin_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Language | None:
    language = await language_of(update, context)
    if await is_admin(update, context):
        return language
    await tell(update, language, text(language, "admin_only"))
    return None


async def moderation_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = await _admin_language(update, context)
    if language is None or update.effective_chat is None:
        return
    body, markup = await queue_view(update, context, language)
    await update.effective_chat.send_message(body, parse_mode=ParseMode.HTML, reply_markup=markup)


async def moderation_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    language = await _admin_language(update, context)
    if language is None:
        return
    _, fields = unpack(query.data)
    numbers = [int(f) if f.isdigit() else 0 for f in fields[1:3]] + [0, 0]
    action, listing_id, revision = fields[0] if fields else "", numbers[0], numbers[1]
    deps = deps_of(context)
    note = ""
    if action == ModerationAction.REJECT:
        await deps.users.redis.set(
            _reason_key(user.id), f"{listing_id}:{revision}", ex=REASON_TTL_S
        )
        await _ask_reason(update, context, language, listing_id)
        return
    await deps.users.redis.delete(_reason_key(user.id))  # another button: no reason is awaited
    if action == ModerationAction.APPROVE:
        listing: ListingRead | None
        try:
            listing = await deps.market.approve(user.id, listing_id, revision)
        except ServiceResponseError as error:
            listing = await _already(context, user.id, listing_id, error, ListingStatus.APPROVED)
            if listing is None:
                note = error_text(language, error)
            if error.code == ErrorCode.LISTING_CHANGED:
                listing_id = 0  # show it again: the queue starts with the oldest
        if listing is not None:
            note = text(language, "moderation_approved", title=html.escape(listing.title))
    body, markup = await queue_view(update, context, language, after=listing_id, note=note)
    await edit_in_place(query, body, markup)


async def _already(
    context: ContextTypes.DEFAULT_TYPE,
    admin: int,
    listing_id: int,
    error: ServiceResponseError,
    decided: ListingStatus,
) -> ListingRead | None:
    """The listing, when the api refused a decision because it was made already (this
    update's first run, or another admin): it stands as ``decided``."""
    if error.code != ErrorCode.LISTING_NOT_PENDING:
        return None
    try:
        listing = await deps_of(context).market.listing(admin, listing_id)
    except ServiceResponseError:
        return None
    return listing if listing.status == decided else None


async def _ask_reason(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language, listing_id: int
) -> None:
    user = update.effective_user
    assert user is not None
    try:
        listing = await deps_of(context).market.listing(user.id, listing_id)
    except ServiceResponseError as error:
        await tell_error(update, language, error)
        return
    cancel = InlineKeyboardMarkup(
        [[InlineKeyboardButton(
            text(language, "moderation_cancel"),
            callback_data=moderation_data(ModerationAction.SHOW),
        )]]
    )  # fmt: skip
    body = text(
        language,
        "moderation_reason_prompt",
        title=html.escape(listing.title),
        min=str(REASON_MIN),
        max=str(REASON_MAX),
    )
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            body, parse_mode=ParseMode.HTML, reply_markup=cancel
        )


async def take_reason(update: Update, context: ContextTypes.DEFAULT_TYPE, message: str) -> bool:
    """The admin's text is the reason for the rejection they started: reject, then show
    the next listing. False when no reason is awaited."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    deps = deps_of(context)
    awaited = await deps.users.redis.get(_reason_key(user.id))
    if not awaited:
        return False
    language = await language_of(update, context)
    reason = message.strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        body = text(language, "moderation_reason_length", min=str(REASON_MIN), max=str(REASON_MAX))
        await tell(update, language, body)
        return True
    listing_id, revision = (int(part) for part in str(awaited).split(":"))
    try:
        listing: ListingRead | None = await deps.market.reject(
            user.id, listing_id, revision, reason
        )
    except ServiceResponseError as error:
        listing = await _already(context, user.id, listing_id, error, ListingStatus.REJECTED)
        note = error_text(language, error)
    if listing is not None:
        note = text(language, "moderation_rejected", title=html.escape(listing.title))
    body, markup = await queue_view(
        update, context, language, after=listing_id if listing else 0, note=note
    )
    await chat.send_message(body, parse_mode=ParseMode.HTML, reply_markup=markup)
    await deps.users.redis.delete(_reason_key(user.id))  # after the answer: see the top
    return True


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("moderation", moderation_command))
    application.add_handler(CallbackQueryHandler(moderation_button, pattern=pattern(MODERATION)))

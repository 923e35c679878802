"""A listing in the chat: what ``/start listing_<id>`` (a shared t.me link) shows instead
of the greeting. Price, city, category, whether it is sold or reserved, the description;
buttons to open it in the Mini App, write to the seller and report it; for its seller,
how many people looked and wrote."""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from concierge.bot.deps import deps_of, language_of
from concierge.bot.market.errors import tell
from concierge.bot.market.webapp import listing_page, webapp_button, webapp_url
from concierge.bot.search.render import availability_note
from concierge.bot.texts import text
from concierge.common.http_client import ServiceResponseError
from concierge.contracts.identity import Language
from concierge.contracts.market import Availability, ListingRead, ListingStatus
from concierge.contracts.market_buttons import ListingAction, listing_data
from concierge.contracts.prices import format_price

DEEP_LINK = re.compile(r"^listing[_-](\d{1,18})$")
DESCRIPTION_SHOWN = 800


def listing_id_of(start_parameter: str | None) -> int | None:
    """The listing a ``/start`` parameter names (``listing_4``), if it names one."""
    found = DEEP_LINK.match(start_parameter or "")
    return int(found.group(1)) if found else None


def card_text(listing: ListingRead, language: Language) -> str:
    body = text(
        language,
        "listing_card",
        title=html.escape(listing.title),
        price=html.escape(format_price(listing.price, listing.currency, language)),
        city=html.escape(listing.city),
        category=text(language, f"category_{listing.category.value}"),
    ) + availability_note(listing.availability, language)
    description = listing.description.strip()
    if len(description) > DESCRIPTION_SHOWN:
        description = description[: DESCRIPTION_SHOWN - 1].rstrip() + "…"
    parts = [body, html.escape(description)] if description else [body]
    if listing.is_mine and listing.stats is not None:
        views, contacts = str(listing.stats.views), str(listing.stats.contacts)
        parts.append(text(language, "listing_card_mine", views=views, contacts=contacts))
    return "\n\n".join(parts)


def card_buttons(
    listing: ListingRead, language: Language, app_url: str | None
) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    if app_url:
        label = text(language, "button_open_listing")
        rows.append([webapp_button(label, app_url, listing_page(listing.id))])
    published = listing.status == ListingStatus.APPROVED
    if published and not listing.is_mine:
        others = [
            InlineKeyboardButton(
                text(language, "button_report"),
                callback_data=listing_data(ListingAction.REPORT, listing.id),
            )
        ]
        if listing.availability != Availability.SOLD:
            write = InlineKeyboardButton(
                text(language, "button_write_seller"),
                callback_data=listing_data(ListingAction.WRITE, listing.id),
            )
            others.insert(0, write)
        rows.append(others)
    return InlineKeyboardMarkup(rows) if rows else None


async def show_listing(update: Update, context: ContextTypes.DEFAULT_TYPE, listing_id: int) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    language = await language_of(update, context)
    try:
        listing = await deps_of(context).market.listing(user.id, listing_id)
    except ServiceResponseError as error:
        if error.status_code != 404:
            raise
        await tell(update, language, text(language, "listing_gone"))
        return
    markup = card_buttons(listing, language, webapp_url(update, context))
    await chat.send_message(
        card_text(listing, language), parse_mode=ParseMode.HTML, reply_markup=markup
    )

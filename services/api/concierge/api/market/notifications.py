"""What the market desk tells people through the outbox, in Russian and English.

Messages use Telegram's HTML parse mode, so every piece of user text (titles, cities,
a moderator's reason) is escaped; each carries a button that opens the Mini App on the
right page (``?startapp=…``, read by the Mini App's router).
"""

from __future__ import annotations

import html
from datetime import datetime

from concierge.contracts.identity import Language, language_from_code
from concierge.contracts.notify import (
    InlineButton,
    InlineKeyboard,
    MessagePayload,
    NotificationCreate,
    WebAppInfo,
)
from concierge.domain.identity.models import User
from concierge.domain.market.models import Listing

PENDING_KIND = "market.listing_pending"
APPROVED_KIND = "market.listing_approved"
REJECTED_KIND = "market.listing_rejected"

PENDING = {
    Language.EN: "🆕 New listing to moderate: <b>{title}</b>\n{price} {currency} · {city}",
    Language.RU: "🆕 Новое объявление на модерацию: <b>{title}</b>\n{price} {currency} · {city}",
}
PENDING_BUTTON = {Language.EN: "Open moderation", Language.RU: "Открыть модерацию"}

APPROVED = {
    Language.EN: "✅ Your listing «{title}» is published.",
    Language.RU: "✅ Ваше объявление «{title}» опубликовано.",
}
APPROVED_BUTTON = {Language.EN: "Open the listing", Language.RU: "Открыть объявление"}

REJECTED = {
    Language.EN: "❌ Your listing «{title}» was rejected.\nReason: {reason}\n"
    "Fix it and send it to moderation again.",
    Language.RU: "❌ Ваше объявление «{title}» отклонено.\nПричина: {reason}\n"
    "Исправьте его и отправьте на модерацию снова.",
}
REJECTED_BUTTON = {Language.EN: "Edit the listing", Language.RU: "Исправить объявление"}


def language_of(user: User) -> Language:
    return Language(user.language) if user.language else language_from_code(user.language_code)


def mini_app_url(webapp_url: str, start: str) -> str:
    """The Mini App opened on ``start`` (moderation, listing_<id>, edit_<id>)."""
    separator = "&" if "?" in webapp_url else "?"
    return f"{webapp_url}{separator}startapp={start}"


def _message(text: str, button: str, url: str) -> MessagePayload:
    keyboard = InlineKeyboard(
        inline_keyboard=[[InlineButton(text=button, web_app=WebAppInfo(url=url))]]
    )
    return MessagePayload(text=text, parse_mode="HTML", reply_markup=keyboard)


def _escaped(**values: object) -> dict[str, str]:
    return {name: html.escape(str(value), quote=False) for name, value in values.items()}


def listing_pending(
    listing: Listing, admin: User, submitted_at: datetime, webapp_url: str
) -> NotificationCreate:
    """Tell an admin a listing waits for moderation."""
    language = language_of(admin)
    text = PENDING[language].format(
        **_escaped(
            title=listing.title, price=listing.price, currency=listing.currency, city=listing.city
        )
    )
    return NotificationCreate(
        dedup_key=f"market.pending:{listing.id}:{submitted_at.timestamp()}:{admin.telegram_id}",
        chat_id=admin.telegram_id,
        kind=PENDING_KIND,
        payload=_message(text, PENDING_BUTTON[language], mini_app_url(webapp_url, "moderation")),
    )


def listing_approved(listing: Listing, owner: User, webapp_url: str) -> NotificationCreate:
    """Tell the owner the listing is published."""
    assert listing.published_at is not None
    language = language_of(owner)
    return NotificationCreate(
        dedup_key=f"market.approved:{listing.id}:{listing.published_at.timestamp()}",
        chat_id=owner.telegram_id,
        kind=APPROVED_KIND,
        payload=_message(
            APPROVED[language].format(**_escaped(title=listing.title)),
            APPROVED_BUTTON[language],
            mini_app_url(webapp_url, f"listing_{listing.id}"),
        ),
    )


def listing_rejected(
    listing: Listing, owner: User, audit_id: int, webapp_url: str
) -> NotificationCreate:
    """Tell the owner the listing was rejected, and why."""
    language = language_of(owner)
    text = REJECTED[language].format(
        **_escaped(title=listing.title, reason=listing.rejection_reason)
    )
    return NotificationCreate(
        dedup_key=f"market.rejected:{listing.id}:{audit_id}",
        chat_id=owner.telegram_id,
        kind=REJECTED_KIND,
        payload=_message(
            text, REJECTED_BUTTON[language], mini_app_url(webapp_url, f"edit_{listing.id}")
        ),
    )

"""What the market desk tells people through the outbox, in each reader's language
(Russian or English; tests/services/api/market/test_texts.py holds every text to both).

Messages use Telegram's HTML parse mode, so every piece of user text (titles, cities,
a moderator's reason, a relayed message) is escaped. Prices are written the reader's
way (``concierge.contracts.prices``). Buttons open the Mini App on the right page
(``?startapp=…``, read by the Mini App's router) or are callbacks the bot handles
(``concierge.contracts.market_buttons``).
"""

from __future__ import annotations

from datetime import datetime

from concierge.api.notify.texts import escaped, html_message, language_of
from concierge.contracts.identity import Language
from concierge.contracts.market import Availability, InquiryRole, ReportReason
from concierge.contracts.market_buttons import (
    InquiryAction,
    ListingAction,
    availability_data,
    inquiry_data,
    listing_data,
)
from concierge.contracts.notify import (
    InlineButton,
    NotificationCreate,
    WebAppInfo,
)
from concierge.contracts.prices import format_price
from concierge.domain.identity.models import User
from concierge.domain.market.models import Inquiry, Listing, ListingReport

PENDING_KIND = "market.listing_pending"
APPROVED_KIND = "market.listing_approved"
REJECTED_KIND = "market.listing_rejected"
EXPIRING_KIND = "market.listing_expiring"
EXPIRED_KIND = "market.listing_expired"
INQUIRY_KIND = "market.inquiry_message"
PROMPT_KIND = "market.inquiry_prompt"
INQUIRY_CLOSED_KIND = "market.inquiry_closed"
AVAILABILITY_KIND = "market.availability"
REPORT_KIND = "market.listing_reported"

Texts = dict[Language, str]

PENDING: Texts = {
    Language.EN: "🆕 New listing to moderate: <b>{title}</b>\n{price} · {city}",
    Language.RU: "🆕 Новое объявление на модерацию: <b>{title}</b>\n{price} · {city}",
}
OPEN_MODERATION: Texts = {Language.EN: "Open moderation", Language.RU: "Открыть модерацию"}

APPROVED: Texts = {
    Language.EN: "✅ Your listing «{title}» is published until {until}.",
    Language.RU: "✅ Ваше объявление «{title}» опубликовано до {until}.",
}
OPEN_LISTING: Texts = {Language.EN: "Open the listing", Language.RU: "Открыть объявление"}

REJECTED: Texts = {
    Language.EN: "❌ Your listing «{title}» was rejected.\nReason: {reason}\n"
    "Fix it and send it to moderation again.",
    Language.RU: "❌ Ваше объявление «{title}» отклонено.\nПричина: {reason}\n"
    "Исправьте его и отправьте на модерацию снова.",
}
EDIT_LISTING: Texts = {Language.EN: "Edit the listing", Language.RU: "Исправить объявление"}

EXPIRING: Texts = {
    Language.EN: "⏳ Your listing «{title}» leaves search on {until}. "
    "Still selling? Renew it for {days} more days.",
    Language.RU: "⏳ Объявление «{title}» пропадёт из поиска {until}. "
    "Ещё продаёте? Продлите его на {days} дней.",
}
EXPIRED: Texts = {
    Language.EN: "⌛ Your listing «{title}» has expired and is no longer in search. "
    "Renew it to publish it again for {days} days.",
    Language.RU: "⌛ Срок объявления «{title}» истёк, его больше нет в поиске. "
    "Продлите его, чтобы снова опубликовать на {days} дней.",
}
RENEW: Texts = {Language.EN: "🔄 Renew", Language.RU: "🔄 Продлить"}

NEW_INQUIRY: Texts = {
    Language.EN: "📩 A buyer is interested in «{title}» ({price}).\n\n"
    "<b>Buyer {number}</b>:\n{text}\n\n"
    "<i>I pass messages both ways; neither of you sees the other's account.</i>",
    Language.RU: "📩 Покупатель интересуется «{title}» ({price}).\n\n"
    "<b>Покупатель {number}</b>:\n{text}\n\n"
    "<i>Я передаю сообщения в обе стороны; аккаунты друг друга вы не видите.</i>",
}
FROM_BUYER: Texts = {
    Language.EN: "💬 <b>Buyer {number}</b> about «{title}»:\n{text}",
    Language.RU: "💬 <b>Покупатель {number}</b> о «{title}»:\n{text}",
}
FROM_SELLER: Texts = {
    Language.EN: "💬 <b>Seller</b> of «{title}»:\n{text}",
    Language.RU: "💬 <b>Продавец</b> «{title}»:\n{text}",
}
PROMPT_BUYER: Texts = {
    Language.EN: "✍️ Write your message for the seller of «{title}» ({price}) here. "
    "I pass it on; the seller does not see your account. Everything you write now goes "
    "to the seller, until you press End.",
    Language.RU: "✍️ Напишите здесь сообщение продавцу «{title}» ({price}). "
    "Я передам его, ваш аккаунт продавец не увидит. Всё, что вы напишете, уйдёт "
    "продавцу, пока вы не нажмёте «Завершить».",
}
PROMPT_SELLER: Texts = {
    Language.EN: "✍️ Write your reply to buyer {number} about «{title}». Everything you "
    "write now goes to them, until you press End.",
    Language.RU: "✍️ Напишите ответ покупателю {number} о «{title}». Всё, что вы "
    "напишете, уйдёт ему, пока вы не нажмёте «Завершить».",
}
DIRECT: Texts = {
    Language.EN: "💬 Write to @{username} directly",
    Language.RU: "💬 Написать @{username} напрямую",
}
REPLY: Texts = {Language.EN: "✍️ Reply", Language.RU: "✍️ Ответить"}
END: Texts = {Language.EN: "⏹ End", Language.RU: "⏹ Завершить"}
BLOCK: Texts = {Language.EN: "🚫 Block", Language.RU: "🚫 Заблокировать"}
MARK_SOLD: Texts = {Language.EN: "✅ Sold", Language.RU: "✅ Продано"}
MARK_RESERVED: Texts = {Language.EN: "🔒 Reserved", Language.RU: "🔒 Забронировано"}

CLOSED_BY_BUYER: Texts = {
    Language.EN: "⏹ Buyer {number} ended the conversation about «{title}».",
    Language.RU: "⏹ Покупатель {number} завершил разговор о «{title}».",
}
CLOSED_BY_SELLER: Texts = {
    Language.EN: "⏹ The seller ended the conversation about «{title}».",
    Language.RU: "⏹ Продавец завершил разговор о «{title}».",
}

AVAILABILITY: dict[Availability, Texts] = {
    Availability.SOLD: {
        Language.EN: "ℹ️ The seller marked «{title}» as sold.",
        Language.RU: "ℹ️ Продавец отметил «{title}» как проданное.",
    },
    Availability.RESERVED: {
        Language.EN: "ℹ️ The seller reserved «{title}» for someone.",
        Language.RU: "ℹ️ Продавец забронировал «{title}» для покупателя.",
    },
    Availability.AVAILABLE: {
        Language.EN: "ℹ️ «{title}» is available again.",
        Language.RU: "ℹ️ «{title}» снова в продаже.",
    },
}

REPORTED: Texts = {
    Language.EN: "⚠️ A buyer reported «{title}»: {reason}.{comment}",
    Language.RU: "⚠️ Покупатель пожаловался на «{title}»: {reason}.{comment}",
}
REPORT_REASONS: dict[ReportReason, Texts] = {
    ReportReason.FRAUD: {Language.EN: "fraud", Language.RU: "мошенничество"},
    ReportReason.PROHIBITED: {Language.EN: "prohibited item", Language.RU: "запрещённый товар"},
    ReportReason.MISLEADING: {
        Language.EN: "wrong price, photos or description",
        Language.RU: "неверные цена, фото или описание",
    },
    ReportReason.DUPLICATE: {Language.EN: "duplicate", Language.RU: "дубликат"},
    ReportReason.OFFENSIVE: {Language.EN: "offensive", Language.RU: "оскорбительное"},
    ReportReason.OTHER: {Language.EN: "something else", Language.RU: "другое"},
}

# Every text of this module (the test of both languages reads it).
ALL_TEXTS: list[Texts] = [
    PENDING, OPEN_MODERATION, APPROVED, OPEN_LISTING, REJECTED, EDIT_LISTING, EXPIRING,
    EXPIRED, RENEW, NEW_INQUIRY, PROMPT_BUYER, PROMPT_SELLER, DIRECT, FROM_BUYER,
    FROM_SELLER, REPLY, END, BLOCK, MARK_SOLD, MARK_RESERVED, CLOSED_BY_BUYER,
    CLOSED_BY_SELLER, *AVAILABILITY.values(), REPORTED, *REPORT_REASONS.values(),
]  # fmt: skip


def mini_app_url(webapp_url: str, start: str) -> str:
    """The Mini App opened on ``start`` (moderation, listing_<id>, edit_<id>)."""
    separator = "&" if "?" in webapp_url else "?"
    return f"{webapp_url}{separator}startapp={start}"


def _mini_app(text: str, url: str) -> InlineButton:
    return InlineButton(text=text, web_app=WebAppInfo(url=url))


def _open_listing(listing: Listing, language: Language, webapp_url: str) -> InlineButton:
    """The button that opens the listing's page in the Mini App."""
    return _mini_app(OPEN_LISTING[language], mini_app_url(webapp_url, f"listing_{listing.id}"))


def _callback(text: str, data: str) -> InlineButton:
    return InlineButton(text=text, callback_data=data)


_message = html_message
_escaped = escaped


def price_of(listing: Listing, language: Language) -> str:
    return format_price(listing.price, listing.currency, language)


def day_of(moment: datetime, language: Language) -> str:
    return moment.strftime("%d.%m.%Y" if language == Language.RU else "%d %b %Y")


def listing_pending(
    listing: Listing, admin: User, submitted_at: datetime, webapp_url: str
) -> NotificationCreate:
    """Tell an admin a listing waits for moderation."""
    language = language_of(admin)
    text = PENDING[language].format(
        **_escaped(title=listing.title, price=price_of(listing, language), city=listing.city)
    )
    return NotificationCreate(
        dedup_key=f"market.pending:{listing.id}:{submitted_at.timestamp()}:{admin.telegram_id}",
        chat_id=admin.telegram_id,
        kind=PENDING_KIND,
        payload=_message(
            text, [_mini_app(OPEN_MODERATION[language], mini_app_url(webapp_url, "moderation"))]
        ),
    )


def listing_approved(listing: Listing, owner: User, webapp_url: str) -> NotificationCreate:
    """Tell the owner the listing is published, and until when."""
    assert listing.published_at is not None
    assert listing.expires_at is not None
    language = language_of(owner)
    text = APPROVED[language].format(
        **_escaped(title=listing.title, until=day_of(listing.expires_at, language))
    )
    return NotificationCreate(
        dedup_key=f"market.approved:{listing.id}:{listing.published_at.timestamp()}",
        chat_id=owner.telegram_id,
        kind=APPROVED_KIND,
        payload=_message(
            text,
            [_open_listing(listing, language, webapp_url)],
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
            text,
            [_mini_app(EDIT_LISTING[language], mini_app_url(webapp_url, f"edit_{listing.id}"))],
        ),
    )


def _renew_buttons(listing: Listing, language: Language, webapp_url: str) -> list[InlineButton]:
    return [
        _callback(RENEW[language], listing_data(ListingAction.RENEW, listing.id)),
        _open_listing(listing, language, webapp_url),
    ]


def listing_expiring(
    listing: Listing, owner: User, lifetime_days: int, webapp_url: str
) -> NotificationCreate:
    """Ask the owner to renew a listing that leaves search soon."""
    assert listing.expires_at is not None
    language = language_of(owner)
    text = EXPIRING[language].format(
        **_escaped(
            title=listing.title, until=day_of(listing.expires_at, language), days=lifetime_days
        )
    )
    return NotificationCreate(
        dedup_key=f"market.expiring:{listing.id}:{listing.expires_at.timestamp()}",
        chat_id=owner.telegram_id,
        kind=EXPIRING_KIND,
        payload=_message(text, _renew_buttons(listing, language, webapp_url)),
    )


def listing_expired(
    listing: Listing, owner: User, lifetime_days: int, webapp_url: str
) -> NotificationCreate:
    """Tell the owner the listing left search, with a button to renew it."""
    assert listing.expires_at is not None
    language = language_of(owner)
    text = EXPIRED[language].format(**_escaped(title=listing.title, days=lifetime_days))
    return NotificationCreate(
        dedup_key=f"market.expired:{listing.id}:{listing.expires_at.timestamp()}",
        chat_id=owner.telegram_id,
        kind=EXPIRED_KIND,
        payload=_message(text, _renew_buttons(listing, language, webapp_url)),
    )


RELAYED_PART = 3000  # characters of a relayed text per message (room for the header)


def parts_of(text: str, size: int = RELAYED_PART) -> list[str]:
    """The text in pieces of at most ``size`` characters, cut at a line or a space."""
    parts: list[str] = []
    while len(text) > size:
        cut = max(text.rfind("\n", 0, size), text.rfind(" ", 0, size))
        cut = cut if cut > size // 2 else size
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*parts, text] if text else parts


def relayed(
    inquiry: Inquiry,
    listing: Listing,
    recipient: User,
    recipient_role: InquiryRole,
    text: str,
    ref: str,
    *,
    first: bool,
) -> list[NotificationCreate]:
    """A message of one side of a conversation, to the other side (a long one in several
    messages, the buttons under the last). The seller's first message from a new buyer
    introduces them and carries the seller's actions."""
    parts = parts_of(text)
    notices = [
        _relayed_part(
            inquiry,
            listing,
            recipient,
            recipient_role,
            part,
            ref if n == len(parts) else f"{ref}:{n}",
            first=first and n == 1,
        )
        for n, part in enumerate(parts, start=1)
    ]
    keyboard = notices[0].payload.reply_markup  # the first part's: the seller's actions
    for notice in notices:
        notice.payload.reply_markup = None
    notices[-1].payload.reply_markup = keyboard
    return notices


def _relayed_part(
    inquiry: Inquiry,
    listing: Listing,
    recipient: User,
    recipient_role: InquiryRole,
    text: str,
    ref: str,
    *,
    first: bool,
) -> NotificationCreate:
    language = language_of(recipient)
    values = _escaped(
        title=listing.title,
        price=price_of(listing, language),
        number=inquiry.buyer_number,
        text=text,
    )
    reply = _callback(REPLY[language], inquiry_data(InquiryAction.REPLY, inquiry.id))
    end = _callback(END[language], inquiry_data(InquiryAction.END, inquiry.id))
    if recipient_role == InquiryRole.BUYER:
        payload = _message(FROM_SELLER[language].format(**values), [reply, end])
    elif first:
        payload = _message(
            NEW_INQUIRY[language].format(**values),
            [reply],
            [
                _callback(MARK_SOLD[language], availability_data(listing.id, Availability.SOLD)),
                _callback(
                    MARK_RESERVED[language], availability_data(listing.id, Availability.RESERVED)
                ),
            ],
            [_callback(BLOCK[language], inquiry_data(InquiryAction.BLOCK, inquiry.id)), end],
        )
    else:
        payload = _message(FROM_BUYER[language].format(**values), [reply])
    return NotificationCreate(
        dedup_key=f"market.relay:{inquiry.id}:{ref}",
        chat_id=recipient.telegram_id,
        kind=INQUIRY_KIND,
        payload=payload,
    )


def conversation_prompt(
    inquiry: Inquiry,
    listing: Listing,
    writer: User,
    role: InquiryRole,
    focused_at: datetime,
    seller: User | None,
) -> NotificationCreate:
    """Tell the one who chose to write (a buyer with "Write to the seller", either side
    with "Reply") that their text goes to the other side now; a buyer also gets the
    seller's t.me link when the seller allows it (``seller``)."""
    language = language_of(writer)
    values = _escaped(
        title=listing.title, price=price_of(listing, language), number=inquiry.buyer_number
    )
    texts = PROMPT_BUYER if role == InquiryRole.BUYER else PROMPT_SELLER
    rows = [[_callback(END[language], inquiry_data(InquiryAction.END, inquiry.id))]]
    if seller is not None and seller.username:
        direct = DIRECT[language].format(username=seller.username)
        rows.append([InlineButton(text=direct, url=f"https://t.me/{seller.username}")])
    return NotificationCreate(
        dedup_key=f"market.prompt:{inquiry.id}:{writer.id}:{focused_at.timestamp()}",
        chat_id=writer.telegram_id,
        kind=PROMPT_KIND,
        payload=_message(texts[language].format(**values), *rows),
    )


def inquiry_closed(
    inquiry: Inquiry, listing: Listing, recipient: User, closed_by: InquiryRole
) -> NotificationCreate:
    """Tell the other side that a conversation ended."""
    assert inquiry.closed_at is not None
    language = language_of(recipient)
    texts = CLOSED_BY_BUYER if closed_by == InquiryRole.BUYER else CLOSED_BY_SELLER
    text = texts[language].format(**_escaped(title=listing.title, number=inquiry.buyer_number))
    return NotificationCreate(
        dedup_key=f"market.closed:{inquiry.id}:{inquiry.closed_at.timestamp()}",
        chat_id=recipient.telegram_id,
        kind=INQUIRY_CLOSED_KIND,
        payload=_message(text),
    )


def availability_changed(
    listing: Listing, buyer: User, changed_at: datetime, webapp_url: str
) -> NotificationCreate:
    """Tell a buyer in a conversation about the listing that it was sold, reserved or
    is available again."""
    language = language_of(buyer)
    text = AVAILABILITY[Availability(listing.availability)][language].format(
        **_escaped(title=listing.title)
    )
    return NotificationCreate(
        dedup_key=f"market.availability:{listing.id}:{buyer.id}:{changed_at.timestamp()}",
        chat_id=buyer.telegram_id,
        kind=AVAILABILITY_KIND,
        payload=_message(
            text,
            [_open_listing(listing, language, webapp_url)],
        ),
    )


def listing_reported(
    listing: Listing, report: ListingReport, admin: User, webapp_url: str
) -> NotificationCreate:
    """Tell an admin a published listing was reported, and why."""
    language = language_of(admin)
    reason = REPORT_REASONS[ReportReason(report.reason)][language]
    comment = f"\n«{report.comment}»" if report.comment else ""
    text = REPORTED[language].format(
        **_escaped(title=listing.title, reason=reason, comment=comment)
    )
    return NotificationCreate(
        dedup_key=f"market.reported:{report.id}:{admin.telegram_id}",
        chat_id=admin.telegram_id,
        kind=REPORT_KIND,
        payload=_message(
            text,
            [_mini_app(OPEN_MODERATION[language], mini_app_url(webapp_url, "moderation"))],
        ),
    )

"""What the rentals desk tells landlords through the outbox (Russian or English, HTML,
escaped). Revoked credentials are told once per revocation
(``rentals.revoked:<account>:<epoch of the revocation>``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from concierge.api.notify.texts import escaped, html_message, language_of
from concierge.contracts.avito import AvitoBooking
from concierge.contracts.guest import DEFAULT_TIME_ZONE
from concierge.contracts.identity import Language
from concierge.contracts.notify import NotificationCreate
from concierge.domain.identity.models import User
from concierge.domain.rentals.models import RentalsAccount, RentalsBooking, RentalsItem

REVOKED_KIND = "rentals.credentials_revoked"

REVOKED = {
    Language.EN: "⚠️ Avito refused the API keys of the account <b>{name}</b>. Calendar "
    "and guest messages of this account are paused. Connect it again with new keys: "
    "/avito_connect",
    Language.RU: "⚠️ Avito не принимает ключи API аккаунта <b>{name}</b>. Календарь и "
    "сообщения гостей этого аккаунта приостановлены. Подключите его заново с новыми "
    "ключами: /avito_connect",
}


def credentials_revoked(owner: User, account: RentalsAccount, at: datetime) -> NotificationCreate:
    text = REVOKED[language_of(owner)].format(**escaped(name=account.name or account.avito_user_id))
    return NotificationCreate(
        dedup_key=f"{REVOKED_KIND}:{account.id}:{int(at.timestamp())}",
        chat_id=owner.telegram_id,
        kind=REVOKED_KIND,
        payload=html_message(text),
    )


BOOKING_KIND = "rentals.booking"
ARRIVALS_KIND = "rentals.arrivals"

BOOKING_TEXTS = {
    "new": {
        Language.EN: "🛎 New booking: <b>{title}</b>\n{check_in} → {check_out}, {guest}",
        Language.RU: "🛎 Новое бронирование: <b>{title}</b>\n{check_in} → {check_out}, {guest}",
    },
    "cancelled": {
        Language.EN: "❌ Booking cancelled: <b>{title}</b>\n{check_in} → {check_out}, {guest}",
        Language.RU: "❌ Бронирование отменено: <b>{title}</b>\n{check_in} → {check_out}, {guest}",
    },
    "changed": {
        Language.EN: "✏️ Booking changed: <b>{title}</b>\nnow {check_in} → {check_out}, {guest}",
        Language.RU: "✏️ Бронирование изменено: <b>{title}</b>\nтеперь {check_in} → {check_out}, "
        "{guest}",
    },
}
ARRIVALS = {
    Language.EN: "🧳 Arrivals tomorrow ({day}):\n{lines}",
    Language.RU: "🧳 Завтра заезды ({day}):\n{lines}",
}


def booking_changed(
    owner: User, what: str, item: RentalsItem, booking: AvitoBooking, *, cohost: bool = False
) -> NotificationCreate:
    """To the landlord, or (``cohost``) to a co-host of the account: each recipient has its
    own dedup key."""
    guest = (booking.contact.name if booking.contact else None) or "—"
    text = BOOKING_TEXTS[what][language_of(owner)].format(
        **escaped(
            title=item.title or item.avito_item_id,
            check_in=booking.check_in.isoformat(),
            check_out=booking.check_out.isoformat(),
            guest=guest,
        )
    )
    version = f"{booking.check_in}:{booking.check_out}" if what == "changed" else what
    return NotificationCreate(
        dedup_key=f"{BOOKING_KIND}:{item.id}:{booking.avito_booking_id}:{version}"
        + (f":{owner.id}" if cohost else ""),
        chat_id=owner.telegram_id,
        kind=f"{BOOKING_KIND}_{what}",
        payload=html_message(text),
    )


def arrivals_tomorrow(
    owner: User,
    day: date,
    arrivals: Sequence[tuple[RentalsBooking, RentalsItem]],
    zone: str = DEFAULT_TIME_ZONE,
) -> NotificationCreate:
    """To the landlord or a co-host (``owner``: the recipient), once per day and zone."""
    lines = "\n".join(
        "• {title}: {guest} ({count})".format(
            **escaped(
                title=item.title or item.avito_item_id,
                guest=booking.guest_name or "—",
                count=booking.guest_count or "?",
            )
        )
        for booking, item in arrivals
    )
    text = ARRIVALS[language_of(owner)].format(day=day.isoformat(), lines=lines)
    return NotificationCreate(
        dedup_key=f"{ARRIVALS_KIND}:{owner.id}:{day.isoformat()}"
        + ("" if zone == DEFAULT_TIME_ZONE else f":{zone}"),
        chat_id=owner.telegram_id,
        kind=ARRIVALS_KIND,
        payload=html_message(text),
    )

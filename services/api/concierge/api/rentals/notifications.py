"""What the rentals desk tells landlords through the outbox (Russian or English, HTML,
escaped). Revoked credentials are told once per revocation
(``rentals.revoked:<account>:<epoch of the revocation>``)."""

from __future__ import annotations

from datetime import datetime

from concierge.api.notify.texts import escaped, html_message, language_of
from concierge.contracts.identity import Language
from concierge.contracts.notify import NotificationCreate
from concierge.domain.identity.models import User
from concierge.domain.rentals.models import RentalsAccount

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

"""What the guest assistant tells landlords (Russian or English, HTML, escaped): a draft
with Send / Edit / Skip, a chat handed over with Resume, and a stated arrival, each with
Link booking (``rg:lk:<chat>``) (once per
change against the last one told: ``rentals.arrival:<chat>:<message>``). Callback data:
``rg:<verb>:<id>``."""

from __future__ import annotations

from datetime import date

from concierge.api.notify.texts import escaped, html_message, language_of
from concierge.contracts.identity import Language
from concierge.contracts.notify import InlineButton, NotificationCreate
from concierge.domain.identity.models import User
from concierge.domain.rentals.models import RentalsChat, RentalsDraft

CALLBACK = "rg"
DRAFT_KIND = "rentals.guest_draft"
HANDOFF_KIND = "rentals.guest_handoff"
ARRIVAL_KIND = "rentals.arrival"
QUOTE = 600  # the guest's words quoted in a notification, at most

DRAFT = {
    Language.EN: "💬 A guest asks about <b>{title}</b>:\n<i>{question}</i>\n\nProposed reply:\n"
    "{reply}",
    Language.RU: "💬 Гость спрашивает про <b>{title}</b>:\n<i>{question}</i>\n\nПредлагаемый "
    "ответ:\n{reply}",
}
BUTTONS = {
    Language.EN: ("Send", "Edit", "Skip", "Resume the assistant"),
    Language.RU: ("Отправить", "Изменить", "Пропустить", "Вернуть ассистента"),
}
LINK = {Language.EN: "🔗 Link booking", Language.RU: "🔗 Привязать бронь"}


def link_row(language: Language, chat_id: int) -> list[InlineButton]:
    """The button that lists the item's current and upcoming bookings to link the chat to."""
    return [InlineButton(text=LINK[language], callback_data=f"{CALLBACK}:lk:{chat_id}")]


HANDOFF = {
    "asked": {
        Language.EN: "🙋 A guest about <b>{title}</b> asks for you:\n<i>{question}</i>",
        Language.RU: "🙋 Гость по <b>{title}</b> просит хозяина:\n<i>{question}</i>",
    },
    "complaint": {
        Language.EN: "⚠️ A guest about <b>{title}</b> complains:\n<i>{question}</i>",
        Language.RU: "⚠️ Гость по <b>{title}</b> жалуется:\n<i>{question}</i>",
    },
    "unsure": {
        Language.EN: "❓ The assistant cannot answer a guest about <b>{title}</b>:\n"
        "<i>{question}</i>",
        Language.RU: "❓ Ассистент не знает ответа гостю по <b>{title}</b>:\n<i>{question}</i>",
    },
}
HANDOFF_TAIL = {
    Language.EN: "\n\nThe assistant stays silent in this chat until you resume it. Answer "
    "the guest in Avito.",
    Language.RU: "\n\nАссистент молчит в этом чате, пока вы его не вернёте. Ответьте гостю "
    "в Авито.",
}
ARRIVAL = {
    Language.EN: "🕒 A guest of <b>{title}</b> arrives {when}.",
    Language.RU: "🕒 Гость <b>{title}</b> приедет {when}.",
}
AT = {Language.EN: "at {time}", Language.RU: "в {time}"}
ON = {Language.EN: "on {day}", Language.RU: "{day}"}


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"


def draft_ready(owner: User, title: str, question: str, draft: RentalsDraft) -> NotificationCreate:
    language = language_of(owner)
    send, edit, skip, _ = BUTTONS[language]
    text = DRAFT[language].format(
        **escaped(title=title, question=_quote(question), reply=draft.text)
    )
    return NotificationCreate(
        dedup_key=f"{DRAFT_KIND}:{draft.id}",
        chat_id=owner.telegram_id,
        kind=DRAFT_KIND,
        payload=html_message(
            text[:4000],
            [
                InlineButton(text=send, callback_data=f"{CALLBACK}:send:{draft.id}"),
                InlineButton(text=edit, callback_data=f"{CALLBACK}:edit:{draft.id}"),
                InlineButton(text=skip, callback_data=f"{CALLBACK}:skip:{draft.id}"),
            ],
            link_row(language, draft.chat_id),
        ),
    )


def handed_off(
    owner: User, title: str, question: str, chat: RentalsChat, reason: str, epoch: int
) -> NotificationCreate:
    language = language_of(owner)
    text = HANDOFF[reason][language].format(**escaped(title=title, question=_quote(question)))
    resume = BUTTONS[language][3]
    return NotificationCreate(
        dedup_key=f"{HANDOFF_KIND}:{chat.id}:{epoch}",
        chat_id=owner.telegram_id,
        kind=HANDOFF_KIND,
        payload=html_message(
            text + HANDOFF_TAIL[language],
            [InlineButton(text=resume, callback_data=f"{CALLBACK}:resume:{chat.id}")],
            link_row(language, chat.id),
        ),
    )


def arrival_stated(
    owner: User, title: str, chat: RentalsChat, message_id: int, at: str | None, on: date | None
) -> NotificationCreate:
    """Keyed by the guest's message (each is answered once): a value told before may be
    told again after another one (15:00 → 18:00 → 15:00); the caller tells only changes."""
    language = language_of(owner)
    parts = []
    if on is not None:
        parts.append(ON[language].format(day=on.isoformat()))
    if at is not None:
        parts.append(AT[language].format(time=at))
    text = ARRIVAL[language].format(**escaped(title=title, when=" ".join(parts)))
    return NotificationCreate(
        dedup_key=f"{ARRIVAL_KIND}:{chat.id}:{message_id}",
        chat_id=owner.telegram_id,
        kind=ARRIVAL_KIND,
        payload=html_message(text, link_row(language, chat.id)),
    )

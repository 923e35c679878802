"""What the watch desk tells people through the outbox, in Russian or English (HTML
parse mode, every name escaped). Every message to a watcher carries the official
booking link: people book themselves; we never book and never solve a captcha.

Dedup keys: a slot is announced once per person and target
(``watch.slot_opened:<user>:<target>:<epoch>``), a captcha pause once per person and episode
(``watch.captcha:<user>:<target>:<epoch>``),
an admin alert once per failing streak and once per recovery.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from concierge.api.notify.texts import escaped, html_message, language_of
from concierge.contracts.identity import Language
from concierge.contracts.notify import InlineButton, MessagePayload, NotificationCreate
from concierge.domain.identity.models import User
from concierge.domain.notify.models import Outbox
from concierge.domain.watch.models import WatchOffice, WatchProvider, WatchService, WatchTarget

SLOT_KIND = "watch.slot_opened"
SLOT_GONE = "the slot was taken before this was sent"
CAPTCHA_KIND = "watch.captcha"
DIGEST_KIND = "watch.digest"
GONE_KIND = "watch.slot_gone"
SEEN_PREFIX = "wt:seen"  # the bot's callback data: wt:seen:<target>:<epoch>
FAILING_KIND = "watch.target_failing"
RECOVERED_KIND = "watch.target_recovered"

# Keys: Language.EN, Language.RU and GERMAN ("de": for a city where German is the
# official language, people whose Telegram speaks German and who chose no language).
GERMAN = "de"
Texts = dict[str, str]


def speech_of(user: User) -> str:
    """German for a person whose Telegram is German and who picked no language of the
    bot's; else the language they read everywhere else (Russian or English)."""
    if user.language is None and (user.language_code or "").lower().startswith(GERMAN):
        return GERMAN
    return language_of(user).value


SLOT_OPENED: Texts = {
    Language.EN: "🗓 A slot opened: <b>{when}</b>\n{service} · {office}\n\n"
    "Book it yourself on the official page: slots go fast. I never book for you.",
    Language.RU: "🗓 Появилось окно: <b>{when}</b>\n{service} · {office}\n\n"
    "Запишитесь сами на официальной странице: окна быстро разбирают. "
    "Сам я никогда не записываю.",
    GERMAN: "🗓 Ein Termin ist frei: <b>{when}</b>\n{service} · {office}\n\n"
    "Buchen Sie selbst auf der offiziellen Seite: Termine sind schnell weg. "
    "Ich buche nie für Sie.",
}
SLOTS_OPENED: Texts = {
    Language.EN: "🗓 Slots opened ({count}):\n{slots}\n{service} · {office}\n\n"
    "Book yourself on the official page: slots go fast. I never book for you.",
    Language.RU: "🗓 Появились окна ({count}):\n{slots}\n{service} · {office}\n\n"
    "Запишитесь сами на официальной странице: окна быстро разбирают. "
    "Сам я никогда не записываю.",
    GERMAN: "🗓 Termine frei ({count}):\n{slots}\n{service} · {office}\n\n"
    "Buchen Sie selbst auf der offiziellen Seite: Termine sind schnell weg. "
    "Ich buche nie für Sie.",
}
REMINDER: Texts = {
    Language.EN: "🔁 Still open: <b>{when}</b>\n{service} · {office}\n\n"
    "Tap Seen and I stop reminding you of it.",
    Language.RU: "🔁 Окно всё ещё свободно: <b>{when}</b>\n{service} · {office}\n\n"
    "Нажмите «Видел», и я перестану напоминать.",
    GERMAN: "🔁 Noch frei: <b>{when}</b>\n{service} · {office}\n\n"
    "Tippen Sie auf Gesehen, dann erinnere ich Sie nicht mehr daran.",
}
GONE: Texts = {
    Language.EN: "❌ <b>This slot is gone.</b>",
    Language.RU: "❌ <b>Это окно уже заняли.</b>",
    GERMAN: "❌ <b>Dieser Termin ist vergeben.</b>",
}
SEEN: Texts = {Language.EN: "👀 Seen", Language.RU: "👀 Видел", GERMAN: "👀 Gesehen"}
DIGEST: Texts = {
    Language.EN: "📋 Your slots of the last day\n\n{body}",
    Language.RU: "📋 Окна за последние сутки\n\n{body}",
    GERMAN: "📋 Ihre Termine des letzten Tages\n\n{body}",
}
DIGEST_TARGET: Texts = {
    Language.EN: "<b>{service} · {office}</b>\nOpened: {opened}\nClosed: {closed}",
    Language.RU: "<b>{service} · {office}</b>\nОткрылись: {opened}\nЗакрылись: {closed}",
    GERMAN: "<b>{service} · {office}</b>\nFrei geworden: {opened}\nVergeben: {closed}",
}
NONE: Texts = {Language.EN: "none", Language.RU: "нет", GERMAN: "keine"}
CAPTCHA: Texts = {
    Language.EN: "🧩 {office} ({service}) now asks for a captcha, so I paused checking it. "
    "Continue by hand on the official page. I never solve captchas: they are there "
    "to keep bots from hoarding slots.",
    Language.RU: "🧩 {office} ({service}) теперь требует капчу, поэтому я приостановил "
    "проверку. Продолжите вручную на официальной странице. Капчи я никогда не решаю: "
    "они защищают окна от ботов-перекупщиков.",
    GERMAN: "🧩 {office} ({service}) verlangt jetzt ein Captcha, daher prüfe ich dort "
    "vorerst nicht. Machen Sie auf der offiziellen Seite von Hand weiter. Captchas löse "
    "ich nie: Sie schützen die Termine vor Bots, die sie horten.",
}
BOOK: Texts = {
    Language.EN: "Book on the official page",
    Language.RU: "Записаться на официальной странице",
    GERMAN: "Auf der offiziellen Seite buchen",
}
FAILING: Texts = {
    Language.EN: "⚠️ Watch target #{id} ({provider}: {office} · {service}) keeps failing: "
    "{failures} polls in a row.\nLast error: {error}",
    Language.RU: "⚠️ Цель наблюдения #{id} ({provider}: {office} · {service}) не отвечает: "
    "{failures} опросов подряд.\nПоследняя ошибка: {error}",
    GERMAN: "⚠️ Ziel #{id} ({provider}: {office} · {service}) schlägt fehl: "
    "{failures} Abfragen in Folge.\nLetzter Fehler: {error}",
}
RECOVERED: Texts = {
    Language.EN: "✅ Watch target #{id} ({provider}: {office} · {service}) answers again.",
    Language.RU: "✅ Цель наблюдения #{id} ({provider}: {office} · {service}) снова отвечает.",
    GERMAN: "✅ Ziel #{id} ({provider}: {office} · {service}) antwortet wieder.",
}

ALL_TEXTS: list[Texts] = [
    SLOT_OPENED,
    SLOTS_OPENED,
    REMINDER,
    GONE,
    SEEN,
    DIGEST,
    DIGEST_TARGET,
    NONE,
    CAPTCHA,
    BOOK,
    FAILING,
    RECOVERED,
]


def booking_url(provider: WatchProvider, office: WatchOffice, service: WatchService) -> str:
    """The official page for this office and service (the provider's template)."""
    return provider.booking_url.replace("{office}", office.external_id).replace(
        "{service}", service.external_id
    )


def local_time(provider: WatchProvider, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(provider.timezone))


def _when(provider: WatchProvider, moment: datetime, language: str) -> str:
    local = local_time(provider, moment)
    english = language == Language.EN
    return local.strftime("%a %d %b %Y, %H:%M" if english else "%d.%m.%Y %H:%M")


Place = tuple[WatchTarget, WatchProvider, WatchOffice, WatchService]


def _to_watcher(
    user: User,
    place: Place,
    kind: str,
    texts: Texts,
    moment: datetime,
    *,
    suffix: str = "",
    seen: bool = False,
    **values: str,
) -> NotificationCreate:
    """A message to a watcher about a target, with the official booking page's button
    (and a Seen button when they want reminders); one per person, target, kind and
    moment (the slot's time, the captcha episode), and reminder (``suffix``)."""
    target, provider, office, service = place
    language = speech_of(user)
    text = texts[language].format(**escaped(office=office.name, service=service.name), **values)
    buttons = [InlineButton(text=BOOK[language], url=booking_url(provider, office, service))]
    epoch = int(moment.timestamp())
    if seen:
        buttons.append(
            InlineButton(text=SEEN[language], callback_data=f"{SEEN_PREFIX}:{target.id}:{epoch}")
        )
    return NotificationCreate(
        dedup_key=f"{kind}:{user.id}:{target.id}:{epoch}{suffix}",
        chat_id=user.telegram_id,
        kind=kind,
        payload=html_message(text, buttons),
    )


def slot_opened(
    user: User, place: Place, slot: datetime, *, seen: bool = False
) -> NotificationCreate:
    when = html.escape(_when(place[1], slot, speech_of(user)))
    return _to_watcher(user, place, SLOT_KIND, SLOT_OPENED, slot, seen=seen, when=when)


def slots_opened(
    user: User, place: Place, slots: Sequence[datetime], *, seen: bool = False
) -> NotificationCreate:
    """Slots held back (quiet hours, a cooldown) told together, keyed by the first with
    ``:all`` (such a message is neither withdrawn nor marked gone when one of its slots
    goes: the others may still be open)."""
    if len(slots) == 1:
        return slot_opened(user, place, slots[0], seen=seen)
    language = speech_of(user)
    lines = "\n".join(f"• <b>{html.escape(_when(place[1], s, language))}</b>" for s in slots)
    return _to_watcher(
        user, place, SLOT_KIND, SLOTS_OPENED, slots[0], seen=seen, suffix=":all",
        count=str(len(slots)), slots=lines,
    )  # fmt: skip


def reminder(user: User, place: Place, slot: datetime, repeat: int) -> NotificationCreate:
    """A reminder of a slot still open to someone who has not tapped Seen."""
    when = html.escape(_when(place[1], slot, speech_of(user)))
    return _to_watcher(
        user, place, SLOT_KIND, REMINDER, slot, suffix=f":r{repeat}", seen=True, when=when
    )


def digest(
    user: User, day: date, parts: Sequence[tuple[Place, list[datetime], list[datetime]]]
) -> NotificationCreate:
    """The day's digest: per watched target, the slots that opened and closed."""
    language = speech_of(user)
    blocks = []
    buttons: list[list[InlineButton]] = []
    for place, opened, closed in parts:
        _target, provider, office, service = place
        blocks.append(
            DIGEST_TARGET[language].format(
                **escaped(office=office.name, service=service.name),
                opened=_times(provider, opened, language),
                closed=_times(provider, closed, language),
            )
        )
        if len(buttons) < 8:
            buttons.append(
                [InlineButton(text=f"{BOOK[language]}: {office.name}"[:256],
                              url=booking_url(provider, office, service))]
            )  # fmt: skip
    body = "\n\n".join(blocks)[:MAX_DIGEST_CHARS]
    return NotificationCreate(
        dedup_key=f"{DIGEST_KIND}:{user.id}:{day.isoformat()}",
        chat_id=user.telegram_id,
        kind=DIGEST_KIND,
        payload=html_message(DIGEST[language].format(body=body), *buttons),
    )


MAX_DIGEST_CHARS = 3500
MAX_DIGEST_TIMES = 12


def _times(provider: WatchProvider, slots: Sequence[datetime], language: str) -> str:
    if not slots:
        return NONE[language]
    shown = [html.escape(_when(provider, s, language)) for s in slots[:MAX_DIGEST_TIMES]]
    more = len(slots) - len(shown)
    return ", ".join(shown) + (f" (+{more})" if more else "")


def slot_key_patterns(target: WatchTarget, slot: datetime) -> list[str]:
    """LIKE patterns of every person's message about this one slot and its reminders."""
    key = f"{SLOT_KIND}:%:{target.id}:{int(slot.timestamp())}"
    return [key, f"{key}:r%"]


def captcha_demanded(user: User, place: Place, episode: datetime) -> NotificationCreate:
    return _to_watcher(user, place, CAPTCHA_KIND, CAPTCHA, episode)


def slot_gone(sent: Outbox, user: User | None) -> NotificationCreate:
    """An edit of a sent slot message: the slot is gone (the booking link stays)."""
    language = speech_of(user) if user is not None else Language.EN.value
    payload = MessagePayload.model_validate(sent.payload)
    links = [
        [button for button in row if button.url is not None]
        for row in (payload.reply_markup.inline_keyboard if payload.reply_markup else [])
    ]
    edit = html_message(GONE[language] + "\n\n" + payload.text, *[r for r in links if r])
    edit.edit_message_id = sent.message_id
    return NotificationCreate(
        dedup_key=f"{GONE_KIND}:{sent.id}", chat_id=sent.chat_id, kind=GONE_KIND, payload=edit
    )


def repeats_key_pattern(user: User, target_id: int, slot: datetime) -> str:
    """A LIKE pattern of a person's reminders of this slot."""
    return f"{SLOT_KIND}:{user.id}:{target_id}:{int(slot.timestamp())}:r%"


def target_alert(
    admin: User,
    target: WatchTarget,
    provider: WatchProvider,
    office: WatchOffice,
    service: WatchService,
    *,
    recovered: bool,
    episode: datetime,
) -> NotificationCreate:
    """Tell an admin a target keeps failing (once per streak) or answers again."""
    language = speech_of(admin)
    values = escaped(
        id=target.id,
        provider=provider.name,
        office=office.name,
        service=service.name,
        failures=target.failures_in_row,
        error=target.last_error or "?",
    )
    kind = RECOVERED_KIND if recovered else FAILING_KIND
    text = (RECOVERED if recovered else FAILING)[language].format(**values)
    return NotificationCreate(
        dedup_key=f"{kind}:{target.id}:{int(episode.timestamp())}:{admin.telegram_id}",
        chat_id=admin.telegram_id,
        kind=kind,
        payload=html_message(text),
    )

"""Watches in the chat, every step a button (state travels in the callback data):

- ``/watch [words]``: provider → office (``/watch <words>`` searches long lists) →
  service → how far ahead → which hours; then the watch exists, and the person hears of
  slots that open, with the official booking link. We never book and never solve a
  captcha (the help text says why);
- ``/watches``: each watch with Pause/Resume and Remove;
- ``/unwatch``: the watches with Remove only;
- ``/watchsettings`` (or the button under ``/watches``): how the person hears of slots,
  each setting a button that steps through its choices;
- ``/start`` of someone whose watches paused because they had blocked the bot offers
  one button to resume them;
- the Seen button under a slot's message (``wt:seen:<target>:<epoch>``, made by the api)
  stops its reminders and leaves the message with its booking link.
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from concierge.bot.callback_data import CallbackDataTooLong, pack, pattern, unpack
from concierge.bot.deps import deps_of, language_of
from concierge.bot.edits import edit_in_place
from concierge.bot.texts import GERMAN, watch_text
from concierge.common.clock import utcnow
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.identity import Language
from concierge.contracts.watch import (
    ALL_WEEKDAYS,
    NoticeMode,
    Preferences,
    SlotSeen,
    WatchCreate,
    WatchRead,
    WatchUpdate,
    Window,
)
from concierge.contracts.watch_client import WatchApiClient

log = logging.getLogger(__name__)

PREFIX = "wt"
RANGES = (14, 30, 90)
HOURS = {"any": (time(0, 0), time(23, 59)), "am": (time(7, 0), time(12, 0)),
         "pm": (time(12, 0), time(19, 0))}  # fmt: skip
WORKDAYS = [1, 2, 3, 4, 5]
PAGE = 10  # offices per message
MAX_OFFSET = 5000
COOLDOWNS = (0, 900, 3600, 6 * 3600)
QUIET = (None, (time(22, 0), time(7, 0)), (time(23, 0), time(8, 0)))
ZONES = ("Europe/Berlin", "Europe/Moscow", "Europe/London", "Asia/Tbilisi", "UTC")
SETTINGS = ("mode", "cooldown", "quiet", "zone", "repeat", "captcha", "digest")


async def _speech(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """German for a German Telegram reading the bot in English; else the bot's language."""
    language = await language_of(update, context)
    user = update.effective_user
    code = (user.language_code or "") if user is not None else ""
    if language == Language.EN and code.lower().startswith(GERMAN):
        return GERMAN
    return language.value


def client(context: ContextTypes.DEFAULT_TYPE) -> WatchApiClient:
    return WatchApiClient(deps_of(context).market.http)


def _button(label: str, *fields: str | int) -> InlineKeyboardButton | None:
    try:
        return InlineKeyboardButton(label, callback_data=pack(PREFIX, *fields))
    except CallbackDataTooLong:  # an id too long to carry: leave the button out
        return None


def _rows(buttons: list[InlineKeyboardButton | None]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[b] for b in buttons if b is not None])


async def _send(update: Update, body: str, markup: InlineKeyboardMarkup | None = None) -> None:
    if update.effective_chat is not None:
        await update.effective_chat.send_message(
            body, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
        )


async def _show(update: Update, body: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the pressed message, or send a new one for a command."""
    if update.callback_query is not None:
        await edit_in_place(update.callback_query, body, markup, link_previews=False)
    else:
        await _send(update, body, markup)


async def watch_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None:
        return
    language = await _speech(update, context)
    providers = await client(context).providers(user.id)
    if not providers:
        await _send(update, watch_text(language, "watch_no_providers"))
        return
    words = " ".join(context.args or []).strip()[:100] or None
    if words and len(providers) > 1:
        await _search_everywhere(update, context, language, [p.slug for p in providers], words)
        return
    if len(providers) == 1 or words:
        await _offices(update, context, language, providers[0].slug, words)
        return
    buttons = [_button(p.name, "p", p.slug) for p in providers]
    await _send(
        update,
        watch_text(language, "watch_intro") + "\n\n" + watch_text(language, "watch_pick_provider"),
        _rows(buttons),
    )


async def _offices(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: str,
    provider: str,
    words: str | None,
    offset: int = 0,
) -> None:
    """A page of the provider's offices (a search with words; "More" pages the list)."""
    user = update.effective_user
    assert user is not None
    found = await client(context).offices(user.id, provider, words, limit=PAGE + 1, offset=offset)
    offices, more = found[:PAGE], len(found) > PAGE
    if not offices:
        await _show(
            update, watch_text(language, "watch_no_offices", words=html.escape(words or "")), None
        )
        return
    body = watch_text(language, "watch_intro") + "\n\n" + watch_text(language, "watch_pick_office")
    buttons = [_button(o.name, "o", provider, o.id) for o in offices]
    if offset:
        back = max(offset - PAGE, 0)
        buttons.append(_button(watch_text(language, "watch_back"), "pg", provider, back))
    if more and words is None:  # paging a search is left to better words
        buttons.append(_button(watch_text(language, "watch_more"), "pg", provider, offset + PAGE))
    await _show(update, body, _rows(buttons))


async def _search_everywhere(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: str,
    providers: list[str],
    words: str,
) -> None:
    """``/watch <words>`` with several appointment systems: offices of all of them."""
    user = update.effective_user
    assert user is not None
    api = client(context)
    names = {p.slug: p.name for p in await api.providers(user.id)}
    buttons = []
    for provider in providers:
        for office in await api.offices(user.id, provider, words, limit=PAGE):
            label = f"{office.name} · {names.get(provider, provider)}"
            buttons.append(_button(label, "o", provider, office.id))
    if not buttons:
        await _show(
            update, watch_text(language, "watch_no_offices", words=html.escape(words)), None
        )
        return
    body = watch_text(language, "watch_intro") + "\n\n" + watch_text(language, "watch_pick_office")
    await _show(update, body, _rows(buttons[: PAGE * 2]))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    language = await _speech(update, context)
    _, fields = unpack(query.data)
    step, args = (fields[0], fields[1:]) if fields else ("", [])
    try:
        if step == "p" and len(args) == 1:
            await _offices(update, context, language, args[0], None)
        elif step == "pg" and len(args) == 2 and args[1].isdigit():
            await _offices(update, context, language, args[0], None, min(int(args[1]), MAX_OFFSET))
        elif step == "edit" and len(args) == 1 and args[0].isdigit():
            await _edit_ranges(update, language, int(args[0]))
        elif step == "er" and len(args) == 2 and all(a.isdigit() for a in args):
            await _edit_hours(update, language, int(args[0]), int(args[1]))
        elif step == "eh" and len(args) == 3 and args[0].isdigit() and args[1].isdigit():
            await _edit(update, context, int(args[0]), int(args[1]), args[2])
        elif step == "o" and len(args) == 2:
            await _services(update, context, language, *args)
        elif step == "s" and len(args) == 3:
            await _ranges(update, language, *args)
        elif step == "r" and len(args) == 4:
            await _hours(update, language, *args)
        elif step == "h" and len(args) == 5:
            await _create(update, context, language, *args)
        elif step in ("pause", "resume", "del") and len(args) == 1 and args[0].isdigit():
            await _change(update, context, language, step, int(args[0]))
        elif step == "resumeall" and not args:
            await _resume_blocked(update, context)
        elif step == "set" and len(args) == 1 and args[0] in (*SETTINGS, "show"):
            await _settings(update, context, language, args[0])
        elif step == "seen" and len(args) == 2 and all(a.isdigit() for a in args):
            await _seen(update, context, language, int(args[0]), int(args[1]))
    except ServiceResponseError as exc:
        log.info("watch step %s refused: %s", step, exc)
        await _show(update, watch_text(language, "watch_refused"), None)


async def _services(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: str,
    provider: str,
    office: str,
) -> None:
    user = update.effective_user
    assert user is not None
    services = await client(context).services(user.id, provider, office)
    buttons = [_button(s.name, "s", provider, office, s.id) for s in services]
    await _show(update, watch_text(language, "watch_pick_service"), _rows(buttons))


async def _ranges(update: Update, language: str, provider: str, office: str, service: str) -> None:
    buttons = [
        _button(
            watch_text(language, "watch_range_days", days=str(days)),
            "r",
            provider,
            office,
            service,
            days,
        )
        for days in RANGES
    ]
    await _show(update, watch_text(language, "watch_pick_range"), _rows(buttons))


async def _hours(
    update: Update, language: str, provider: str, office: str, service: str, days: str
) -> None:
    buttons = [
        _button(
            watch_text(language, f"watch_hours_{code}"), "h", provider, office, service, days, code
        )
        for code in HOURS
    ]
    await _show(update, watch_text(language, "watch_pick_hours"), _rows(buttons))


async def _create(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: str,
    provider: str,
    office: str,
    service: str,
    days: str,
    hours: str,
) -> None:
    user = update.effective_user
    assert user is not None
    if not days.isdigit() or int(days) not in RANGES or hours not in HOURS:
        return
    window = _window(int(days), hours).model_dump()
    watch = await client(context).create(
        user.id, WatchCreate(provider=provider, office=office, service=service, **window)
    )
    await _show(
        update, watch_text(language, "watch_created", what=_describe(watch, language)), None
    )


def _window(days: int, hours: str) -> Window:
    today = utcnow().date()
    time_from, time_to = HOURS[hours]
    return Window(
        date_from=today,
        date_to=today + timedelta(days=days),
        weekdays=ALL_WEEKDAYS if hours == "any" else WORKDAYS,
        time_from=time_from,
        time_to=time_to,
    )


async def _edit_ranges(update: Update, language: str, watch_id: int) -> None:
    buttons = [
        _button(watch_text(language, "watch_range_days", days=str(days)), "er", watch_id, days)
        for days in RANGES
    ]
    await _show(update, watch_text(language, "watch_pick_range"), _rows(buttons))


async def _edit_hours(update: Update, language: str, watch_id: int, days: int) -> None:
    buttons = [
        _button(watch_text(language, f"watch_hours_{code}"), "eh", watch_id, days, code)
        for code in HOURS
    ]
    await _show(update, watch_text(language, "watch_pick_hours"), _rows(buttons))


async def _edit(
    update: Update, context: ContextTypes.DEFAULT_TYPE, watch_id: int, days: int, hours: str
) -> None:
    """A new window from today: how far ahead and which hours (like /watch's last steps)."""
    user = update.effective_user
    assert user is not None
    if days not in RANGES or hours not in HOURS:
        return
    await client(context).update(user.id, watch_id, WatchUpdate(window=_window(days, hours)))
    await _list(update, context, remove_only=False)


def _describe(watch: WatchRead, language: str) -> str:
    return watch_text(
        language,
        "watch_line",
        office=html.escape(watch.office.name),
        service=html.escape(watch.service.name),
        dates=f"{watch.date_from:%d.%m}–{watch.date_to:%d.%m.%Y}",
        hours=f"{watch.time_from:%H:%M}–{watch.time_to:%H:%M}",
        state=watch_text(language, "watch_paused") if watch.paused else "",
    )


async def _list(update: Update, context: ContextTypes.DEFAULT_TYPE, *, remove_only: bool) -> None:
    user = update.effective_user
    if user is None:
        return
    language = await _speech(update, context)
    watches = await client(context).watches(user.id)
    if not watches:
        await _show(update, watch_text(language, "watch_none"), None)
        return
    lines = [f"{n}. {_describe(w, language)}" for n, w in enumerate(watches, 1)]
    rows = []
    for n, watch in enumerate(watches, 1):
        toggle = "resume" if watch.paused else "pause"
        row = [
            InlineKeyboardButton(
                watch_text(language, "watch_remove", n=str(n)),
                callback_data=pack(PREFIX, "del", watch.id),
            )
        ]
        if not remove_only:
            label = watch_text(language, f"watch_{toggle}", n=str(n))
            row.insert(0, InlineKeyboardButton(label, callback_data=pack(PREFIX, toggle, watch.id)))
            edit = watch_text(language, "watch_edit", n=str(n))
            row.insert(1, InlineKeyboardButton(edit, callback_data=pack(PREFIX, "edit", watch.id)))
        rows.append(row)
    if not remove_only:
        label = watch_text(language, "watch_settings_button")
        rows.append([InlineKeyboardButton(label, callback_data=pack(PREFIX, "set", "show"))])
    body = watch_text(language, "watch_list_header") + "\n\n" + "\n".join(lines)
    await _show(update, body, InlineKeyboardMarkup(rows))


async def watches_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _list(update, context, remove_only=False)


async def unwatch_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _list(update, context, remove_only=True)


async def _change(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: str,
    action: str,
    watch_id: int,
) -> None:
    user = update.effective_user
    assert user is not None
    api = client(context)
    if action == "del":
        try:
            await api.delete(user.id, watch_id)
        except ServiceResponseError as exc:
            if exc.status_code != 404:  # removed already (a second press): done
                raise
    else:
        await api.update(user.id, watch_id, WatchUpdate(paused=action == "pause"))
    await _list(update, context, remove_only=False)


def _next(choices: tuple[Any, ...], current: Any) -> Any:
    return (
        choices[(choices.index(current) + 1) % len(choices)] if current in choices else choices[0]
    )


def _changed(preferences: Preferences, setting: str) -> Preferences:
    """The preferences with one setting stepped to its next choice."""
    now = preferences.model_dump()
    if setting == "mode":
        digest = preferences.mode == NoticeMode.INSTANT
        now["mode"] = NoticeMode.DIGEST if digest else NoticeMode.INSTANT
    elif setting == "cooldown":
        now["cooldown_s"] = _next(COOLDOWNS, preferences.cooldown_s)
    elif setting == "quiet":
        current = (
            None
            if preferences.quiet_from is None or preferences.quiet_to is None
            else (preferences.quiet_from, preferences.quiet_to)
        )
        quiet = _next(QUIET, current)
        now["quiet_from"], now["quiet_to"] = quiet if quiet else (None, None)
    elif setting == "zone":
        now["timezone"] = _next(ZONES, preferences.timezone)
    elif setting == "repeat":
        now["repeat_until_seen"] = not preferences.repeat_until_seen
    elif setting == "captcha":
        now["captcha_notices"] = not preferences.captcha_notices
    elif setting == "digest":
        now["daily_digest"] = not preferences.daily_digest
    return Preferences.model_validate(now)


def _settings_view(preferences: Preferences, language: str) -> tuple[str, InlineKeyboardMarkup]:
    def on(value: bool) -> str:
        return watch_text(language, "watch_on" if value else "watch_off")

    quiet = (
        f"{preferences.quiet_from:%H:%M}–{preferences.quiet_to:%H:%M}"
        if preferences.quiet_from is not None and preferences.quiet_to is not None
        else on(False)
    )
    cooldown_s = preferences.cooldown_s
    values = {
        "mode": watch_text(language, f"watch_mode_{preferences.mode.value}"),
        "cooldown": f"{cooldown_s // 3600}:{cooldown_s % 3600 // 60:02d}"
        if cooldown_s
        else on(False),
        "quiet": quiet,
        "zone": html.escape(preferences.timezone),
        "repeat": on(preferences.repeat_until_seen),
        "captcha": on(preferences.captcha_notices),
        "digest": on(preferences.daily_digest),
    }
    body = watch_text(language, "watch_settings", **values)
    buttons = [_button(watch_text(language, f"watch_set_{name}", value=values[name]), "set", name)
               for name in SETTINGS]  # fmt: skip
    return body, _rows(buttons)


async def _settings(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: str, setting: str
) -> None:
    user = update.effective_user
    assert user is not None
    api = client(context)
    preferences = await api.preferences(user.id)
    if setting != "show":
        preferences = await api.save_preferences(user.id, _changed(preferences, setting))
    await _show(update, *_settings_view(preferences, language))


async def settings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_user is not None:
        await _settings(update, context, await _speech(update, context), "show")


async def _seen(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: str,
    target_id: int,
    epoch: int,
) -> None:
    """No more reminders of the slot; the message keeps its text and booking link."""
    query, user = update.callback_query, update.effective_user
    assert query is not None
    assert user is not None
    slot = datetime.fromtimestamp(epoch, UTC)
    try:
        await client(context).seen(user.id, SlotSeen(target_id=target_id, slot=slot))
    except ServiceResponseError as exc:
        if exc.status_code != 404:  # a watch removed since: nothing to remind of anyway
            raise
    message = query.message
    if not isinstance(message, Message) or message.text is None:
        return
    keep = [
        [button for button in row if button.url is not None]
        for row in (message.reply_markup.inline_keyboard if message.reply_markup else [])
    ]
    body = message.text_html + "\n\n" + watch_text(language, "watch_seen_done")
    await edit_in_place(query, body, InlineKeyboardMarkup([row for row in keep if row]))


BLOCKED = "blocked"
AFTER_START_GROUP = 2


async def _blocked_watches(update: Update, context: ContextTypes.DEFAULT_TYPE) -> list[WatchRead]:
    user = update.effective_user
    assert user is not None
    watches = await client(context).watches(user.id)
    return [w for w in watches if w.paused and w.paused_reason == BLOCKED]


async def offer_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After /start: someone who had blocked the bot finds the watches that paused
    meanwhile, and one button resumes them (nothing resumes by itself)."""
    chat = update.effective_chat
    if update.effective_user is None or chat is None or chat.type != "private":
        return
    if deps_of(context).retries.failing(update.update_id):
        return  # /start itself failed this try (api away): it is retried, then we ask
    try:
        blocked = await _blocked_watches(update, context)
    except (ServiceResponseError, ServiceUnavailable) as exc:
        # Optional: an error here must not make /start (the greeting) run again.
        log.info("no resume offer after /start: %r", exc)
        return
    if blocked:
        language = await _speech(update, context)
        body = watch_text(language, "watch_welcome_back", n=str(len(blocked)))
        await _send(update, body, _rows([_button(watch_text(language, "watch_resume_all"),
                                                 "resumeall")]))  # fmt: skip


async def _resume_blocked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    assert user is not None
    for watch in await _blocked_watches(update, context):
        await client(context).update(user.id, watch.id, WatchUpdate(paused=False))
    await _list(update, context, remove_only=False)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("watch", watch_command))
    application.add_handler(CommandHandler("watches", watches_command))
    application.add_handler(CommandHandler("unwatch", unwatch_command))
    application.add_handler(CommandHandler("watchsettings", settings_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
    # After the core /start (group 0) has greeted the person (group 1 is taps' own).
    application.add_handler(CommandHandler("start", offer_resume), group=AFTER_START_GROUP)

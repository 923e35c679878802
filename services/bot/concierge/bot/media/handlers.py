"""The media desk in a chat.

- ``/media``: the media mode (an hour, in a private chat): the person's messages go to
  the api's conversation, streamed with ``ReplyStream`` (typing while tools run); each
  proposal is its own plain-text message (release titles come from trackers and may
  carry injections: never parsed as markup) with Add / Other options / Cancel.
  ``/media off`` leaves; ``/media <words>`` is one turn.
- the same by buttons, with no LLM: Search → a title → pick it → releases → Add.
- Preferences (quality, audio, notifications) by buttons; an indexer or a seedbox
  connected by a short dialogue: the message holding a key or password is deleted at
  once, and the api stores nothing until its test connection passes.

Dialogue state and the mode live in Redis (``media:dialog:<user>``, ``media:mode:<user>``).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from pydantic import SecretStr, ValidationError
from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from concierge.bot.callback_data import pattern, unpack
from concierge.bot.deps import language_of
from concierge.bot.media import taste
from concierge.bot.media.common import (
    PREFIX,
    _button,
    _reason,
    _redis,
    _send,
    _set_dialog,
    client,
    dialog_key,
    dialog_state,
    mode_key,
    remember_titles,
    remembered,
    told,
)
from concierge.bot.media.texts import media_text
from concierge.bot.streaming import ReplyStream
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.errors import ErrorCode
from concierge.contracts.identity import Language
from concierge.contracts.media import (
    IndexerCreate,
    MediaPreferencesUpdate,
    ProposalRead,
    SeedboxCreate,
)

log = logging.getLogger(__name__)

MODE_TTL_S = 3600
PROPOSALS_SHOWN = 3
KINDS = ("transmission", "qbittorrent", "deluge")
QUALITIES = (720, 1080, 2160, 0)
AUDIO = ("ru", "en")


def _menu(language: Language) -> InlineKeyboardMarkup:
    t = media_text
    return InlineKeyboardMarkup(
        [
            [_button(t(language, "search"), "s"), _button(t(language, "prefs"), "p")],
            [_button(t(language, "recommend"), "r"), _button(t(language, "history"), "h")],
            [
                _button(t(language, "connect_indexer"), "ci"),
                _button(t(language, "connect_seedbox"), "cs"),
            ],
            [_button(t(language, "leave"), "x")],
        ]
    )


def _size(size: int | None) -> str:
    return f"{size / 2**30:.1f} GB" if size else "?"


def _proposal_markup(language: Language, token: str) -> InlineKeyboardMarkup:
    t = media_text
    return InlineKeyboardMarkup(
        [
            [_button(t(language, "add"), "a", token), _button(t(language, "other"), "o", token)],
            [_button(t(language, "cancel"), "c", token)],
        ]
    )


def _proposal_body(language: Language, proposal: ProposalRead | dict[str, Any]) -> str:
    data = proposal.model_dump() if isinstance(proposal, ProposalRead) else proposal
    return media_text(
        language,
        "proposal",
        title=str(data.get("title", ""))[:300],
        size=_size(data.get("size")),
        quality=str(data.get("quality", "?")),
        seeders=str(data.get("seeders") if data.get("seeders") is not None else "?"),
        indexer=str(data.get("indexer", ""))[:60],
    )


async def _show_proposals(
    update: Update, language: Language, proposals: list[ProposalRead]
) -> None:
    if not proposals:
        await _send(update, media_text(language, "no_releases"))
        return
    for proposal in proposals[:PROPOSALS_SHOWN]:
        await _send(
            update, _proposal_body(language, proposal), _proposal_markup(language, proposal.token)
        )


# --- /media -----------------------------------------------------------------------------


async def media_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    language = await language_of(update, context)
    args = list(context.args or [])
    if args and args[0].lower() in ("off", "stop", "выход"):
        await _redis(context).delete(mode_key(user.id), dialog_key(user.id))
        await _send(update, media_text(language, "left"))
        return
    if chat.type == "private":
        await _redis(context).set(mode_key(user.id), "1", ex=MODE_TTL_S)
    if args:
        await converse(update, context, " ".join(args))
        return
    await _send(update, media_text(language, "intro"), _menu(language))


async def converse(update: Update, context: ContextTypes.DEFAULT_TYPE, said: str) -> None:
    """One turn of the conversation, streamed into the chat."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    language = await language_of(update, context)
    stream = ReplyStream(context.bot, chat.id, private=chat.type == "private")
    proposals: list[dict[str, Any]] = []
    final: str | None = None
    try:
        async for event in client(context).converse(user.id, said[:2000]):
            kind = event.get("type")
            if kind == "text":
                await stream.add(str(event.get("text", "")))
            elif kind == "tool":
                await stream.tools_running()
            elif kind == "proposal":
                proposals.append(event)
            elif kind == "done":
                final = str(event.get("text") or stream.text)
            elif kind == "error":
                reason = str(event.get("reason", ""))[:300]
                final = media_text(language, "turn_failed", reason=reason)
    except ServiceResponseError as exc:
        if exc.code == ErrorCode.MEDIA_NO_LLM:  # no LLM: the buttons
            await _send(update, media_text(language, "intro_no_llm"), _menu(language))
            return
        await _send(update, media_text(language, "refused", reason=_reason(exc)))
        return
    except ServiceUnavailable:
        await _send(update, media_text(language, "unavailable"))
        return
    await stream.finish(final)
    for event in proposals[:PROPOSALS_SHOWN]:
        token = str(event.get("token", ""))
        await _send(update, _proposal_body(language, event), _proposal_markup(language, token))


async def take_text(update: Update, context: ContextTypes.DEFAULT_TYPE, said: str) -> bool:
    """True when the text belonged to the media desk: a dialogue step, or a message in
    media mode (a conversation turn)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return False
    raw = await _redis(context).get(dialog_key(user.id))
    if raw is not None:
        await _dialog_step(update, context, orjson.loads(raw), said.strip())
        return True
    if await _redis(context).get(mode_key(user.id)) is None:
        return False
    await _redis(context).expire(mode_key(user.id), MODE_TTL_S)
    await converse(update, context, said)
    return True


async def _dialog_step(
    update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict[str, Any], said: str
) -> None:
    user = update.effective_user
    assert user is not None
    language = await language_of(update, context)
    step = state.get("step")
    t = media_text
    if step == "title":
        await _redis(context).delete(dialog_key(user.id))
        await _titles(update, context, language, said)
    elif step == "indexer_url":
        if not said.startswith(("http://", "https://")) or len(said) > 2048:
            await _send(update, t(language, "bad_url"))
            return
        await _set_dialog(context, user.id, step="indexer_key", url=said)
        await _send(update, t(language, "ask_indexer_key"))
    elif step == "indexer_key":
        await _redis(context).delete(dialog_key(user.id))
        await _delete_secret(update)
        await _connect_indexer(update, context, language, str(state.get("url")), said)
    elif step == "seedbox_url":
        if not said.startswith(("http://", "https://")) or len(said) > 2048:
            await _send(update, t(language, "bad_url"))
            return
        await _set_dialog(context, user.id, **{**state, "step": "seedbox_user", "url": said})
        await _send(update, t(language, "ask_seedbox_user"))
    elif step == "seedbox_user":
        username = None if said in ("-", "") else said[:200]
        await _set_dialog(
            context, user.id, **{**state, "step": "seedbox_password", "username": username}
        )
        await _send(update, t(language, "ask_seedbox_password"))
    elif step == "seedbox_password":
        await _redis(context).delete(dialog_key(user.id))
        await _delete_secret(update)
        await _connect_seedbox(update, context, language, state, said)
    else:
        await _redis(context).delete(dialog_key(user.id))


async def _delete_secret(update: Update) -> None:
    message = update.effective_message
    if message is None:
        return
    try:
        await message.delete()  # the secret leaves the chat at once
    except TelegramError:
        log.warning("could not delete the message holding a media credential")


async def _connect_indexer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language, url: str, key: str
) -> None:
    user = update.effective_user
    assert user is not None
    await _send(update, media_text(language, "checking"))
    try:
        data = IndexerCreate(name=_host(url), url=url, apikey=SecretStr(key[:500] or "-"))
    except ValidationError:
        await _send(update, media_text(language, "bad_url"))
        return
    if await told(update, language, client(context).add_indexer(user.id, data)) is not None:
        await _send(update, media_text(language, "indexer_added"), _menu(language))


async def _connect_seedbox(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: Language,
    state: dict[str, Any],
    password: str,
) -> None:
    user = update.effective_user
    assert user is not None
    await _send(update, media_text(language, "checking"))
    try:
        data = SeedboxCreate(
            kind=state.get("kind"),
            url=str(state.get("url")),
            username=state.get("username"),
            password=SecretStr(password[:500]) if password not in ("", "-") else None,
            on_my_lan=bool(state.get("lan")),
        )
    except ValidationError:
        await _send(update, media_text(language, "bad_url"))
        return
    box = await told(update, language, client(context).add_seedbox(user.id, data))
    if box is not None:
        version = box.version or box.kind
        await _send(update, media_text(language, "seedbox_added", version=version), _menu(language))


def _host(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return host[:60] or "indexer"


async def _titles(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language, query: str
) -> None:
    user = update.effective_user
    assert user is not None
    titles = await told(update, language, client(context).titles(user.id, query[:200]))
    if titles is None:
        return
    if not titles:
        await _send(update, media_text(language, "no_titles"))
        return
    await remember_titles(context, user.id, [(t.id, t.kind, t.title) for t in titles[:6]])
    rows = [
        [
            _button(f"{t.title[:40]} ({t.year or '?'})", "t", t.id),
            taste.watched_button(language, t.id, t.kind),
        ]
        for t in titles[:6]
    ]
    await _send(update, media_text(language, "pick_title"), InlineKeyboardMarkup(rows))


# --- buttons ------------------------------------------------------------------------------


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    _, fields = unpack(query.data)
    if not fields:
        return
    language = await language_of(update, context)
    action, rest = fields[0], fields[1:]
    t = media_text
    try:
        if action == "s":
            await _set_dialog(context, user.id, step="title")
            await _send(update, t(language, "ask_title"))
        elif action == "x":
            await _redis(context).delete(mode_key(user.id), dialog_key(user.id))
            await _send(update, t(language, "left"))
        elif action == "t" and rest and rest[0].isdigit():
            await _picked_title(update, context, language, int(rest[0]))
        elif action in ("a", "o", "c") and rest:
            await _proposal_button(update, context, language, action, rest[0])
        elif action == "p":
            rows = [
                [_button(f"{q}p" if q else t(language, "any_quality"), "q", q) for q in QUALITIES]
            ]
            await _send(update, t(language, "ask_quality"), InlineKeyboardMarkup(rows))
        elif action == "q" and rest and rest[0].isdigit():
            await _set_dialog(context, user.id, step="prefs", quality=int(rest[0]))
            rows = [[_button(a.upper(), "l", a) for a in AUDIO]]
            await _send(update, t(language, "ask_audio"), InlineKeyboardMarkup(rows))
        elif action == "l" and rest and rest[0] in AUDIO:
            await _prefs_audio(update, context, language, rest[0])
        elif action in taste.ACTIONS:
            await taste.on_button(update, context, language, action, rest)
        elif action == "n" and rest and rest[0] in ("0", "1"):
            await _prefs_notify(update, context, language, rest[0] == "1")
        elif action == "ci":
            await _set_dialog(context, user.id, step="indexer_url")
            await _send(update, t(language, "ask_indexer_url"))
        elif action == "cs":
            rows = [[_button(kind.capitalize(), "k", kind)] for kind in KINDS]
            await _send(update, t(language, "ask_seedbox_kind"), InlineKeyboardMarkup(rows))
        elif action == "k" and rest and rest[0] in KINDS:
            rows = [
                [_button(t(language, "lan"), "w", rest[0], 1)],
                [_button(t(language, "internet"), "w", rest[0], 0)],
            ]
            await _send(update, t(language, "ask_seedbox_where"), InlineKeyboardMarkup(rows))
        elif action == "w" and len(rest) == 2 and rest[0] in KINDS:
            await _set_dialog(
                context, user.id, step="seedbox_url", kind=rest[0], lan=rest[1] == "1"
            )
            await _send(update, t(language, "ask_seedbox_url"))
    except ServiceUnavailable:
        await _send(update, t(language, "unavailable"))


async def _picked_title(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language, title_id: int
) -> None:
    user = update.effective_user
    assert user is not None
    known = await remembered(context, user.id, title_id)
    if known is None:
        await _send(update, media_text(language, "gone"))
        return
    name = known[0]
    try:
        proposals = await client(context).releases(user.id, name, title_id)
    except ServiceResponseError as exc:
        await _send(update, media_text(language, "refused", reason=_reason(exc)))
        return
    await _show_proposals(update, language, proposals)


async def _proposal_button(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: Language,
    action: str,
    token: str,
) -> None:
    user = update.effective_user
    assert user is not None
    api = client(context)
    try:
        if action == "a":
            result = await api.add(user.id, token)
            if result.status == "magnet":
                body = media_text(language, "magnet", magnet=result.magnet or "")
            else:
                body = media_text(language, "added", name=result.name[:300])
            await _send(update, body)
        elif action == "o":
            await _show_proposals(update, language, await api.other(user.id, token))
        else:
            await api.cancel(user.id, token)
            await _send(update, media_text(language, "cancelled"))
    except ServiceResponseError as exc:
        if exc.status_code == 404:
            await _send(update, media_text(language, "gone"))
        else:
            await _send(update, media_text(language, "refused", reason=_reason(exc)))


async def _prefs_audio(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language, audio: str
) -> None:
    user = update.effective_user
    assert user is not None
    state = await dialog_state(context, user.id)
    await _set_dialog(context, user.id, step="prefs", quality=state.get("quality"), audio=audio)
    if not await taste.ask_genres(update, context, language):
        await taste.ask_notify(update, language)


async def _prefs_notify(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language, notify: bool
) -> None:
    user = update.effective_user
    assert user is not None
    state = await dialog_state(context, user.id)
    await _redis(context).delete(dialog_key(user.id))
    audio = state.get("audio")
    data = MediaPreferencesUpdate(
        quality=state.get("quality"),
        audio=[audio, *[a for a in AUDIO if a != audio]] if audio else None,
        genres=state.get("genres"),
        notify_done=notify,
    )
    saved = await client(context).update_preferences(user.id, data)
    quality = f"{saved.quality}p" if saved.quality else media_text(language, "any_quality")
    notify_word = media_text(language, "yes" if saved.notify_done else "no")
    genres = ", ".join(state.get("genre_names") or []) or "—"
    body = media_text(
        language,
        "prefs_saved",
        quality=quality,
        audio=", ".join(saved.audio),
        genres=genres,
        notify=notify_word,
    )
    await _send(update, body, _menu(language))


async def cancel_dialog(context: ContextTypes.DEFAULT_TYPE, user: int) -> None:
    """/cancel (shared with the other desks' dialogues) ends a media dialogue too."""
    await _redis(context).delete(dialog_key(user))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("media", media_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))

"""A person's taste in the media desk's chat, by buttons (no LLM needed):

- the genres step of the preferences: TMDB's genres as toggles (✓ marks the chosen),
  the message's keyboard edited in place, "Done" goes on;
- "Recommend for me": the api's recommendations from their history and ratings, each
  with why ("because you liked Arrival"), a button to find its releases and one to mark
  it watched;
- "Watched ✓" on a title (in search results and recommendations) → rate it 1–10;
- the rating buttons under "download finished" (``rd``: the worker's message);
- the history: what they watched, with their ratings.

Buttons: ``g:<id>`` toggle a genre, ``gd`` genres done, ``r`` recommend, ``h`` history,
``wt:<id>:<m|t>`` watched → rating buttons, ``rt:<id>:<m|t>:<n>`` the rating,
``rd:<download>:<n>`` rate a finished download.
"""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from concierge.bot.media.common import (
    _button,
    _reason,
    _send,
    _set_dialog,
    client,
    dialog_state,
    remember_titles,
    remembered,
    told,
)
from concierge.bot.media.texts import media_text
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.identity import Language
from concierge.contracts.media import RecommendationRead, WatchedCreate

ACTIONS = frozenset({"g", "gd", "r", "h", "wt", "rt", "rd"})
KIND_LETTER = {"movie": "m", "tv": "t"}
LETTER_KIND = {v: k for k, v in KIND_LETTER.items()}
RECOMMENDED = 8
HISTORY_SHOWN = 20
GENRES_SHOWN = 24
MAX_GENRES = 20  # what preferences hold


def watched_button(language: Language, title_id: int, kind: str) -> InlineKeyboardButton:
    return _button(media_text(language, "watched"), "wt", title_id, KIND_LETTER.get(kind, "m"))


def _rating_rows(*fields: str | int) -> list[list[InlineKeyboardButton]]:
    return [[_button(str(n), *fields, n) for n in range(start, start + 5)] for start in (1, 6)]


async def on_button(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: Language,
    action: str,
    rest: list[str],
) -> None:
    try:
        if action == "g" and rest and rest[0].isdigit():
            await _toggle_genre(update, context, language, int(rest[0]))
        elif action == "gd":
            await _genres_done(update, context, language)
        elif action == "r":
            await _recommend(update, context, language)
        elif action == "h":
            await _history(update, context, language)
        elif action == "wt" and len(rest) == 2 and rest[0].isdigit() and rest[1] in LETTER_KIND:
            await _ask_rating(update, context, language, int(rest[0]), rest[1])
        elif action == "rt" and len(rest) == 3 and rest[0].isdigit() and rest[1] in LETTER_KIND:
            await _rate(update, context, language, int(rest[0]), rest[1], rest[2])
        elif action == "rd" and len(rest) == 2 and rest[0].isdigit():
            await _rate_download(update, context, language, int(rest[0]), rest[1])
    except ServiceResponseError as exc:
        key = "title_gone" if exc.status_code == 404 else "refused"
        await _send(update, media_text(language, key, reason=_reason(exc)))


# --- genres (a step of the preferences) -------------------------------------------------


async def ask_genres(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language
) -> bool:
    """Offer the genres (the person's current ones ticked). False when the api has no genre
    list (no TMDB): the preferences go on without this step."""
    user = update.effective_user
    assert user is not None
    api = client(context)
    try:
        genres = await api.genres(user.id)
        current = set((await api.preferences(user.id)).genres)
    except (ServiceResponseError, ServiceUnavailable):
        return False
    if not genres:
        return False
    state = await dialog_state(context, user.id)
    listed = [[g.id, g.key, g.name[:30]] for g in genres[:GENRES_SHOWN]]
    chosen = [g.id for g in genres if g.key in current or g.name.lower() in current]
    await _set_dialog(context, user.id, **{**state, "genre_list": listed, "chosen": chosen})
    await _send(update, media_text(language, "ask_genres"), _genre_markup(language, listed, chosen))
    return True


def _genre_markup(
    language: Language, listed: list[list[Any]], chosen: list[int]
) -> InlineKeyboardMarkup:
    buttons = [
        _button(f"✓ {name}" if genre_id in chosen else str(name), "g", genre_id)
        for genre_id, _, name in listed
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button(media_text(language, "genres_done"), "gd")])
    return InlineKeyboardMarkup(rows)


async def _genre_step(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language
) -> tuple[int, dict[str, Any], list[list[Any]]] | None:
    """The person, their preferences dialogue and its genre list; None (told it is gone)
    when that dialogue has ended."""
    user = update.effective_user
    assert user is not None
    state = await dialog_state(context, user.id)
    listed = state.get("genre_list")
    if state.get("step") != "prefs" or not listed:
        await _send(update, media_text(language, "genres_gone"))
        return None
    return user.id, state, listed


async def _toggle_genre(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language, genre_id: int
) -> None:
    if (step := await _genre_step(update, context, language)) is None:
        return
    user_id, state, listed = step
    chosen = [int(g) for g in state.get("chosen") or []]
    if genre_id in chosen:
        chosen.remove(genre_id)
    elif any(g[0] == genre_id for g in listed) and len(chosen) < MAX_GENRES:
        chosen.append(genre_id)
    await _set_dialog(context, user_id, **{**state, "chosen": chosen})
    query = update.callback_query
    if query is not None and query.message is not None:
        # the same keyboard again ("not modified"), or the message is gone: nothing to do
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(_genre_markup(language, listed, chosen))


async def _genres_done(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language
) -> None:
    if (step := await _genre_step(update, context, language)) is None:
        return
    user_id, state, listed = step
    chosen = set(state.get("chosen") or [])
    picked = [g for g in listed if g[0] in chosen]
    await _set_dialog(
        context,
        user_id,
        **{
            **state,
            "genres": [g[1] for g in picked],
            "genre_names": [g[2] for g in picked],
        },
    )
    await ask_notify(update, language)


async def ask_notify(update: Update, language: Language) -> None:
    """The preferences' last step (after the genres)."""
    rows = [
        [_button(media_text(language, "yes"), "n", 1), _button(media_text(language, "no"), "n", 0)]
    ]
    await _send(update, media_text(language, "ask_notify"), InlineKeyboardMarkup(rows))


# --- recommendations and history --------------------------------------------------------


def _why(language: Language, item: RecommendationRead) -> str:
    if item.reason == "liked" and item.because:
        return media_text(language, "because", titles=", ".join(item.because))
    return media_text(language, "in_genres" if item.reason == "genres" else "popular")


async def _recommend(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language
) -> None:
    user = update.effective_user
    assert user is not None
    found = await told(update, language, client(context).recommendations(user.id, RECOMMENDED))
    if found is None:
        return
    if not found:
        await _send(update, media_text(language, "no_recommendations"))
        return
    await remember_titles(context, user.id, [(r.id, r.kind, r.title) for r in found])
    lines = [media_text(language, "recommended")]
    rows = []
    for number, item in enumerate(found, 1):
        year = f" ({item.year})" if item.year else ""
        lines.append(f"{number}. {item.title[:100]}{year} — {_why(language, item)}")
        rows.append(
            [
                _button(f"🔎 {number}. {item.title[:30]}", "t", item.id),
                watched_button(language, item.id, item.kind),
            ]
        )
    await _send(update, "\n".join(lines), InlineKeyboardMarkup(rows))


async def _history(update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language) -> None:
    user = update.effective_user
    assert user is not None
    seen = await told(update, language, client(context).history(user.id))
    if seen is None:
        return
    if not seen:
        await _send(update, media_text(language, "no_history"))
        return
    lines = [media_text(language, "history_title")]
    for item in seen[:HISTORY_SHOWN]:
        rating = f"{item.rating}/10" if item.rating else media_text(language, "not_rated")
        lines.append(f"• {item.title[:100]} — {rating}")
    rows = [[_button(media_text(language, "recommend"), "r")]]
    await _send(update, "\n".join(lines), InlineKeyboardMarkup(rows))


# --- watched and rated --------------------------------------------------------------------


async def _ask_rating(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: Language,
    title_id: int,
    letter: str,
) -> None:
    user = update.effective_user
    assert user is not None
    known = await remembered(context, user.id, title_id)
    if known is None:
        await _send(update, media_text(language, "title_gone"))
        return
    body = media_text(language, "ask_rating", title=known[0][:200])
    await _send(update, body, InlineKeyboardMarkup(_rating_rows("rt", title_id, letter)))


def _rating(value: str) -> int | None:
    return int(value) if value.isdigit() and 1 <= int(value) <= 10 else None


async def _rate(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: Language,
    title_id: int,
    letter: str,
    value: str,
) -> None:
    user = update.effective_user
    assert user is not None
    rating = _rating(value)
    known = await remembered(context, user.id, title_id)
    if rating is None or known is None:
        await _send(update, media_text(language, "title_gone"))
        return
    data = WatchedCreate(
        title_id=title_id, kind=LETTER_KIND[letter], title=known[0][:500], rating=rating
    )
    await client(context).mark_watched(user.id, data)  # refusals: told by on_button
    await _rated(update, language, known[0], rating)


async def _rate_download(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: Language,
    download_id: int,
    value: str,
) -> None:
    user = update.effective_user
    assert user is not None
    if (rating := _rating(value)) is None:
        await _send(update, media_text(language, "title_gone"))
        return
    seen = await client(context).rate_download(user.id, download_id, rating)
    await _rated(update, language, seen.title, rating)


async def _rated(update: Update, language: Language, title: str, rating: int) -> None:
    rows = [[_button(media_text(language, "recommend"), "r")]]
    body = media_text(language, "rated", title=title[:200], rating=str(rating))
    await _send(update, body, InlineKeyboardMarkup(rows))

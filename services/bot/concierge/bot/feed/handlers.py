"""The feed in the chat (state in the api; the chat's messages in ``MessageManager``):

- ``/feed``: a new reader gets the onboarding menu (suggested channels as buttons that
  add them; ``/feed @name`` or a t.me link adds their own, checked by the user-bot through
  the api); then "Start training"; during training the menu (SYSTEM, edited in place)
  shows progress and each post to rate is an EPHEMERAL prompt, deleted once rated; after
  training each ``/feed`` shows the best unseen post (ONETIME: it stays) with 👍 / 👎 /
  Skip; rating it takes the buttons off and brings the next one;
- the rating buttons (``fd:r:<document>:<l|d|s>``) are the same under nudges the api sends;
- too many ratings in a minute (the api's 429) is said once, never an apology.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from concierge.bot.callback_data import CallbackDataTooLong, pack, pattern, unpack
from concierge.bot.deps import deps_of, language_of
from concierge.bot.feed.messages import MessageManager, paced
from concierge.bot.texts import text
from concierge.common.http_client import ServiceResponseError, ServiceUnavailable
from concierge.contracts.feed import (
    ChannelAdd,
    FeedNext,
    FeedPost,
    ModelKind,
    TrainingPost,
    TrainingStep,
    Verdict,
)
from concierge.contracts.feed_client import FeedApiClient
from concierge.contracts.identity import Language, UserStatus
from concierge.contracts.userbot import UserbotErrorCode

log = logging.getLogger(__name__)

PREFIX = "fd"
VERDICTS = {"l": Verdict.LIKE, "d": Verdict.DISLIKE, "s": Verdict.SKIP}
POST_CHARS = 1500
ONBOARDING = (UserStatus.NEW, UserStatus.ONBOARDING)


def client(context: ContextTypes.DEFAULT_TYPE) -> FeedApiClient:
    return FeedApiClient(deps_of(context).market.http)


def manager(context: ContextTypes.DEFAULT_TYPE) -> MessageManager:
    messages = deps_of(context).messages
    assert messages is not None, "the bot's deps carry the feed's MessageManager"
    return messages


def _button(label: str, *fields: str | int) -> InlineKeyboardButton | None:
    try:
        return InlineKeyboardButton(label, callback_data=pack(PREFIX, *fields))
    except CallbackDataTooLong:
        return None


def _post_body(language: Language, post: TrainingPost, limit: int = POST_CHARS) -> str:
    body = post.text.strip()
    if post.title and not body.startswith(post.title):
        body = f"{post.title}\n{body}" if body else post.title
    if len(body) > limit:
        body = body[:limit].rsplit(" ", 1)[0] + "…"
    return html.escape(body) if body else text(language, "feed_media_only")


def _rating_markup(language: Language, document_id: int) -> InlineKeyboardMarkup:
    buttons = [
        _button("👍", "r", document_id, "l"),
        _button("👎", "r", document_id, "d"),
        _button(text(language, "feed_skip"), "r", document_id, "s"),
    ]
    return InlineKeyboardMarkup([[b for b in buttons if b is not None]])


async def feed_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    language = await language_of(update, context)
    api = client(context)
    state = await api.start(user.id)  # new → onboarding; churned → active
    ref = " ".join(context.args or []).strip()[:200]
    if ref:
        if not await _add(update, context, language, ChannelAdd(ref=ref), ref):
            return
        state = await api.state(user.id)
    if state.status in ONBOARDING:
        await _onboarding(update, context, language)
    elif state.status == UserStatus.TRAINING:
        await _training(update, context, language, await api.training_next(user.id))
    else:
        await _next_post(update, context, language)


async def _add(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: Language,
    data: ChannelAdd,
    ref: str,
) -> bool:
    """Follow a channel; a refusal is told in the chat (and nothing is stored)."""
    assert update.effective_user is not None
    assert update.effective_chat is not None
    seconds = ""
    try:
        await client(context).add_channel(update.effective_user.id, data)
        return True
    except ServiceResponseError as exc:
        if exc.code == UserbotErrorCode.FLOOD_WAIT:
            key, seconds = "feed_userbot_wait", str(exc.params.get("retry_after", 60))
        elif exc.status_code >= 500:  # logged out
            key = "feed_userbot_away"
        elif exc.status_code == 404:
            key = "feed_channel_not_found"
        else:
            key = "feed_channel_refused"
    except ServiceUnavailable:
        key = "feed_userbot_away"
    await manager(context).ephemeral(
        context.bot,
        update.effective_chat.id,
        text(language, key, ref=html.escape(ref), seconds=seconds),
    )
    return False


async def _onboarding(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language
) -> None:
    assert update.effective_user is not None
    assert update.effective_chat is not None
    api = client(context)
    user_id = update.effective_user.id
    following = await api.channels(user_id)
    suggestions = await api.suggestions(user_id)
    names = ", ".join(html.escape(c.title) for c in following) or text(language, "feed_none_yet")
    buttons = [_button(text(language, "feed_add", title=s.title[:40]), "a", s.source_id)
               for s in suggestions]  # fmt: skip
    if following:
        buttons.append(_button(text(language, "feed_start_training"), "t"))
    markup = InlineKeyboardMarkup([[b] for b in buttons if b is not None])
    await manager(context).system(
        context.bot,
        update.effective_chat.id,
        text(language, "feed_onboarding", channels=names),
        markup,
    )


async def _training(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language, step: TrainingStep
) -> None:
    """Progress in the menu; the answered prompt deleted; the next post as a new prompt."""
    assert update.effective_chat is not None
    chat_id = update.effective_chat.id
    messages = manager(context)
    await messages.clear(context.bot, chat_id)
    if step.post is None:
        await messages.system(context.bot, chat_id, text(language, "feed_trained"))
        await _next_post(update, context, language)
        return
    done, total = str(step.done), str(step.total)
    await messages.system(
        context.bot, chat_id, text(language, "feed_training", done=done, total=total)
    )
    body = text(
        language,
        "feed_training_post",
        done=str(step.done + 1),
        total=total,
        channel=html.escape(step.post.channel),
        post=_post_body(language, step.post),
    )
    await messages.ephemeral(
        context.bot, chat_id, body, _rating_markup(language, step.post.document_id)
    )


async def _next_post(
    update: Update, context: ContextTypes.DEFAULT_TYPE, language: Language
) -> None:
    assert update.effective_user is not None
    assert update.effective_chat is not None
    api = client(context)
    answer: FeedNext = await api.next_post(update.effective_user.id)
    state = await api.state(update.effective_user.id)
    chat_id = update.effective_chat.id
    messages = manager(context)
    await messages.system(
        context.bot,
        chat_id,
        text(
            language,
            "feed_menu",
            channels=str(state.channels),
            ratings=str(state.ratings),
            model=text(language, f"feed_model_{ModelKind(state.model).value}"),
        ),
    )
    post: FeedPost | None = answer.post
    if post is None:
        await messages.onetime(context.bot, chat_id, text(language, "feed_empty"))
        return
    body = text(
        language,
        "feed_post",
        channel=html.escape(post.channel),
        post=_post_body(language, post),
    )
    markup = _rating_markup(language, post.document_id)
    if post.url and post.url.startswith(("https://", "http://")):
        markup = InlineKeyboardMarkup(
            [*markup.inline_keyboard, [InlineKeyboardButton("🔗", url=post.url)]]
        )
    await messages.onetime(context.bot, chat_id, body, markup)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    language = await language_of(update, context)
    _, fields = unpack(query.data)
    api = client(context)
    if fields[:1] == ["a"] and len(fields) == 2 and fields[1].isdigit():
        await _add(update, context, language, ChannelAdd(source_id=int(fields[1])), fields[1])
        await _onboarding(update, context, language)
    elif fields == ["t"]:
        try:
            step = await api.begin_training(user.id)
        except ServiceResponseError:
            assert update.effective_chat is not None
            await manager(context).ephemeral(
                context.bot, update.effective_chat.id, text(language, "feed_no_channels")
            )
            return
        await _training(update, context, language, step)
    elif fields == ["n"]:
        await _next_post(update, context, language)
    elif fields[:1] == ["r"] and len(fields) == 3 and fields[1].isdigit() and fields[2] in VERDICTS:
        await _rated(update, context, language, int(fields[1]), VERDICTS[fields[2]])


async def _rated(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    language: Language,
    document_id: int,
    verdict: Verdict,
) -> None:
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    assert query is not None
    assert user is not None
    assert chat is not None
    api = client(context)
    try:
        rating = await api.rate(user.id, document_id, verdict)
    except ServiceResponseError as exc:
        if exc.status_code == 404:  # not a post of their channels (any more)
            return
        raise
    except ServiceUnavailable as exc:
        if "429" in str(exc):  # flood control: say so, never retry the flood
            await manager(context).ephemeral(context.bot, chat.id, text(language, "feed_too_many"))
            return
        raise
    if rating.status == UserStatus.TRAINING:
        await _training(update, context, language, await api.training_next(user.id))
        return
    try:  # a feed post (or a nudge) stays; its buttons go
        await paced(lambda: query.edit_message_reply_markup(reply_markup=None))
    except BadRequest as exc:
        log.info("rating buttons of %s kept: %s", document_id, exc.message)
    await _next_post(update, context, language)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("feed", feed_command))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))

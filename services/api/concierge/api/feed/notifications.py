"""What the feed desk tells readers through the outbox: the nudge (their best unseen post
with rating buttons), in Russian or English, every value escaped.

Dedup key: ``feed.nudge:<user>:<period>`` — one nudge per reader and period, however many
worker replicas ask at once.
"""

from __future__ import annotations

from concierge.api.feed.repository import PostRow
from concierge.api.notify.texts import escaped, html_message, language_of
from concierge.contracts.identity import Language
from concierge.contracts.notify import InlineButton, NotificationCreate
from concierge.domain.identity.models import User

NUDGE_KIND = "feed.nudge"
RATE_PREFIX = "fd:r"  # the bot's callback data: fd:r:<document>:<l|d|s>
VERDICT_CODES = {"l": "like", "d": "dislike", "s": "skip"}
POST_CHARS = 700

NUDGE = {
    Language.EN: "📰 While you were away — picked for you from <b>{channel}</b>:\n\n{post}",
    Language.RU: "📰 Пока вас не было — выбрал для вас из <b>{channel}</b>:\n\n{post}",
}
MORE = {Language.EN: "More posts: /feed", Language.RU: "Ещё посты: /feed"}
SKIP = {Language.EN: "Skip", Language.RU: "Пропустить"}


def post_text(post: PostRow, limit: int = POST_CHARS) -> str:
    """A post's title and text, cut between words (a media post without text says so)."""
    body = post.text.strip()
    if post.title and not body.startswith(post.title):
        body = f"{post.title}\n{body}" if body else post.title
    if not body:
        body = "🖼"
    if len(body) > limit:
        body = body[:limit].rsplit(" ", 1)[0] + "…"
    return body


def rating_buttons(document_id: int, language: Language) -> list[InlineButton]:
    return [
        InlineButton(text="👍", callback_data=f"{RATE_PREFIX}:{document_id}:l"),
        InlineButton(text="👎", callback_data=f"{RATE_PREFIX}:{document_id}:d"),
        InlineButton(text=SKIP[language], callback_data=f"{RATE_PREFIX}:{document_id}:s"),
    ]


def nudge(user: User, post: PostRow, period: str) -> NotificationCreate:
    language = language_of(user)
    text = NUDGE[language].format(**escaped(channel=post.channel, post=post_text(post)))
    rows = [rating_buttons(post.document_id, language)]
    if post.url and post.url.startswith(("https://", "http://")) and len(post.url) <= 2048:
        rows.append([InlineButton(text="🔗", url=post.url)])
    return NotificationCreate(
        dedup_key=f"{NUDGE_KIND}:{user.id}:{period}",
        chat_id=user.telegram_id,
        kind=NUDGE_KIND,
        payload=html_message(f"{text}\n\n{MORE[language]}", *rows),
    )

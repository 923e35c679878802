"""Telegram sources: channels read through the user-bot (the only service speaking
MTProto), stored like feed items.

One check of a channel:

1. its id: stored on the source after the first check (the user-bot resolves the handle
   once and keeps the access hash; nothing is resolved again);
2. ``POST /cmd/read`` from the last message id read (``sources.last_message_id``), with the
   source's posts of the last 48 h to look at again;
3. new posts become documents (external id: the message id; an album is one post) through
   the same pipeline as feed items, so exact and near copies of posts from other channels
   or feeds are linked to their original, not shown twice; an edited post's text is
   replaced in place; a deleted post's document is deleted (a copy elsewhere becomes the
   original);
4. the last message id read, the channel's title and the next check are recorded. More
   messages waiting: the next check is at once.

What the user-bot refuses is written on the source like a feed's failure: a flood wait
puts the next check after it (no error counted: nothing is wrong with the channel); a
logged-out user-bot pauses telegram sources for ``WORKER_INGEST_TELEGRAM_LOGGED_OUT_PAUSE_S``
(the admins are told by the user-bot); a channel gone, private or not a channel counts as an
error with the usual backoff. Feeds and pages never notice any of it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from concierge.common.http_client import ServiceClient, ServiceResponseError, ServiceUnavailable
from concierge.contracts.search import DocumentKind
from concierge.contracts.userbot import (
    ChannelNotFound,
    ChannelPost,
    FloodWait,
    LoggedOut,
    UserbotClient,
    UserbotError,
)
from concierge.db import Database
from concierge.domain.ingest.models import Source
from concierge.text.normalize import clean_text
from concierge.worker.ingest.documents import FUTURE_SLACK, MAX_TEXT, Draft
from concierge.worker.ingest.pipeline import DocumentStore, StoreResult
from concierge.worker.ingest.polling import (
    RATE_SAMPLE,
    Bounds,
    after_failure,
    after_success,
    publishing_interval,
    with_jitter,
)
from concierge.worker.ingest.repository import IngestDocumentRepository, SourceRepository
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

MAX_ERROR = 500
MAX_TITLE = 200
USERBOT_TIMEOUT_S = 30.0


def post_url(handle: str | None, message_id: int) -> str | None:
    name = (handle or "").lstrip("@")
    return f"https://t.me/{name}/{message_id}" if name else None


def post_draft(post: ChannelPost, handle: str | None, now: datetime) -> Draft | None:
    """A channel post as a document draft (None when it has no text: a bare photo)."""
    text = clean_text(post.text)[:MAX_TEXT]
    if not text:
        return None
    published = min(post.date, now + FUTURE_SLACK)
    return Draft(
        external_id=str(post.message_id),
        kind=DocumentKind.POST,
        url=post_url(handle, post.message_id),
        title="",
        text=text,
        published_at=published,
    )


def drafts_of(posts: Sequence[ChannelPost], handle: str | None, now: datetime) -> list[Draft]:
    found = (post_draft(post, handle, now) for post in posts)
    return sorted((d for d in found if d), key=lambda d: (d.published_at, d.external_id))


class ChannelIngest:
    def __init__(
        self,
        database: Database,
        settings: WorkerSettings,
        bounds: Bounds,
        userbot: UserbotClient | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.bounds = bounds
        self.userbot = userbot

    def _client(self) -> tuple[UserbotClient, ServiceClient | None]:
        if self.userbot is not None:
            return self.userbot, None
        http = ServiceClient(
            self.settings.userbot_url,
            self.settings.service_token.get_secret_value(),
            timeout=USERBOT_TIMEOUT_S,
        )
        return UserbotClient(http), http

    async def check(self, source: Source, store: DocumentStore, now: datetime) -> str:
        """One check; returns its outcome (new, unchanged, flood_wait, logged_out, failed)."""
        client, http = self._client()
        try:
            return await self._check(client, source, store, now)
        finally:
            if http is not None:
                await http.aclose()

    async def _check(
        self, client: UserbotClient, source: Source, store: DocumentStore, now: datetime
    ) -> str:
        assert source.handle is not None
        title = source.title
        try:
            channel_id = source.channel_id
            if channel_id is None:
                info = await client.resolve(source.handle)
                channel_id, title = info.channel_id, title or info.title[:MAX_TITLE]
            recheck = await self._recent(source.id, now)
            result = await client.read(
                channel_id,
                source.last_message_id or 0,
                self.settings.ingest_telegram_read_limit,
                recheck,
            )
        except FloodWait as wait:
            await self._record(
                source.id,
                last_checked_at=now,
                last_error=f"flood wait: Telegram asked the user-bot for {wait.retry_after:.0f} s",
                next_check_at=now + timedelta(seconds=with_jitter(wait.retry_after, self.bounds)),
            )
            log.info("source %d: flood wait of %.0f s", source.id, wait.retry_after)
            return "flood_wait"
        except LoggedOut:
            pause = self.settings.ingest_telegram_logged_out_pause_s
            await self._record(
                source.id,
                last_checked_at=now,
                last_error="the user-bot is logged out of Telegram",
                next_check_at=now + timedelta(seconds=pause),
            )
            log.warning("source %d: the user-bot is logged out; paused %.0f s", source.id, pause)
            return "logged_out"
        except (UserbotError, ServiceResponseError, ServiceUnavailable) as error:
            forget_channel = isinstance(error, ChannelNotFound) and source.channel_id is not None
            await self._failed(source, error, now, forget_channel=forget_channel)
            return "failed"
        stored = await store.store(source.id, drafts_of(result.posts, source.handle, now))
        edited = await store.update_changed(
            source.id, drafts_of(result.rechecked, source.handle, now)
        )
        deleted = await store.delete(source.id, [str(i) for i in result.deleted_ids])
        await self._succeeded(source, channel_id, title, result.last_id, result.more, now)
        changed = stored.stored or edited or deleted
        self._log(source.id, stored, edited, deleted, result.more)
        return "new" if changed else "unchanged"

    async def _recent(self, source_id: int, now: datetime) -> list[int]:
        if not self.settings.ingest_telegram_recheck:
            return []
        since = now - timedelta(hours=self.settings.ingest_telegram_recheck_window_h)
        async with self.database.transaction() as session:
            ids = await IngestDocumentRepository(session).recent_external_ids(
                source_id, since, self.settings.ingest_telegram_recheck
            )
        return [int(i) for i in ids if i.isdigit()]

    async def _succeeded(
        self,
        source: Source,
        channel_id: int,
        title: str | None,
        last_id: int,
        more: bool,
        now: datetime,
    ) -> None:
        async with self.database.transaction() as session:
            sources = SourceRepository(session)
            dates = await sources.recent_publications(source.id, RATE_SAMPLE)
            interval = publishing_interval(dates, now, self.bounds) or self.bounds.clamp(
                source.poll_interval_s
            )
            await sources.record(
                source.id,
                channel_id=channel_id,
                last_message_id=max(last_id, source.last_message_id or 0),
                title=title,
                poll_interval_s=interval,
                next_check_at=now if more else after_success(interval, None, now, self.bounds),
                last_checked_at=now,
                last_success_at=now,
                error_count=0,
                last_error=None,
            )

    async def _failed(
        self, source: Source, error: Exception, now: datetime, *, forget_channel: bool
    ) -> None:
        errors = source.error_count + 1
        message = str(getattr(error, "detail", None) or error).replace("\x00", "")[:MAX_ERROR]
        values: dict[str, object] = {
            "error_count": errors,
            "last_error": message,
            "last_checked_at": now,
            "next_check_at": after_failure(errors, None, now, self.bounds),
        }
        if forget_channel:  # the user-bot lost its cache: resolve the handle again next time
            values["channel_id"] = None
        await self._record(source.id, **values)
        log.warning("source %d failed (%d in a row): %s", source.id, errors, message)

    async def _record(self, source_id: int, **values: object) -> None:
        async with self.database.transaction() as session:
            await SourceRepository(session).record(source_id, **values)

    @staticmethod
    def _log(source_id: int, stored: StoreResult, edited: int, deleted: int, more: bool) -> None:
        log.info(
            "source %d (telegram) checked: %d new (%d originals, duplicates: %s), %d edited, "
            "%d deleted%s",
            source_id,
            stored.stored,
            stored.originals,
            stored.duplicates or "none",
            edited,
            deleted,
            "; more waiting" if more else "",
        )

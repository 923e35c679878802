"""The rules of ingestion: which sources are due, and what one check of a source does.

A check fetches the source (conditional GET, one of its host's slots held), parses
and normalises what came, stores the new documents and records the outcome on the
source with its next check. A source that fails (unreachable, refused, malformed,
too large, binary, 5xx, timeout) gets the error and a backoff recorded; the job
itself succeeds, so one bad source never costs another one anything. Only our own
troubles (Postgres, Redis, the model) fail the job, which is then retried.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Counter

from concierge.common.clock import utcnow
from concierge.common.safe_http import UnsafeUrl, host_port, split_url
from concierge.contracts.jobs import FETCH_SOURCE, SourcePayload
from concierge.contracts.search import DocumentKind, SourceKind
from concierge.contracts.userbot import UserbotClient
from concierge.db import Database
from concierge.domain.ingest.models import Source
from concierge.streams import JobQueue
from concierge.text.normalize import clean_text
from concierge.worker.ingest.channels import ChannelIngest
from concierge.worker.ingest.documents import Draft, drafts
from concierge.worker.ingest.fetching import Fetched, FetchError, FetchLimits, fetch
from concierge.worker.ingest.hosts import HostBusy, HostSlots
from concierge.worker.ingest.parsing import ParseError, parse_feed, parse_page
from concierge.worker.ingest.pipeline import DocumentStore, StoreResult
from concierge.worker.ingest.polling import (
    RATE_SAMPLE,
    Bounds,
    adaptive_interval,
    after_failure,
    after_success,
    publishing_interval,
)
from concierge.worker.ingest.repository import ALL_KINDS, FETCHED_KINDS, SourceRepository
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

HOST_BUSY_RETRY_S = 60.0
MAX_ERROR = 500
MAX_VALIDATOR = 512
MAX_TITLE = 200

CHECKS = Counter(
    "ingest_checks_total",
    "Source checks, by outcome: new (documents stored), unchanged, not_modified, failed, busy; "
    "telegram sources also flood_wait and logged_out",
    ["outcome"],
)


def fetch_dedup_key(source_id: int, due_at: datetime) -> str:
    """One job per source and due time: a poll repeated after a lost commit adds nothing."""
    return f"ingest.fetch:{source_id}:{int(due_at.timestamp() * 1000)}"


@dataclass(frozen=True)
class Outcome:
    """What a check found, before it is written on the source."""

    fetched: Fetched
    feed_title: str | None
    result: StoreResult


class IngestService:
    def __init__(
        self,
        database: Database,
        queue: JobQueue,
        settings: WorkerSettings,
        slots: HostSlots,
        userbot: UserbotClient | None = None,
    ) -> None:
        self.userbot = userbot  # None: a client per check, to settings.userbot_url
        self.database = database
        self.queue = queue
        self.settings = settings
        self.slots = slots
        self.bounds = Bounds(settings.ingest_min_interval_s, settings.ingest_max_interval_s)
        self.limits = FetchLimits(
            timeout_s=settings.ingest_fetch_timeout_s,
            max_bytes=settings.ingest_max_bytes,
            allowed_private=settings.ingest_allowed_private_hosts,
        )

    @property
    def lease_s(self) -> float:
        """How long a claimed source waits for its fetch job before it is due again."""
        return max(600.0, 2 * self.settings.ingest_fetch_timeout_s + HOST_BUSY_RETRY_S)

    # --- polling -------------------------------------------------------------------

    async def poll(self, batch: int = 100) -> int:
        """Enqueue a fetch job for every due source; returns how many."""
        total = 0
        kinds = ALL_KINDS if self.settings.ingest_telegram_enabled else FETCHED_KINDS
        while True:
            async with self.database.transaction() as session:
                due = await SourceRepository(session).claim_due(batch, self.lease_s, kinds)
                for source in due:
                    await self.queue.enqueue(
                        FETCH_SOURCE.name,
                        FETCH_SOURCE.dump(SourcePayload(source_id=source.id)),
                        dedup_key=fetch_dedup_key(source.id, source.due_at),
                    )
            total += len(due)
            if len(due) < batch:
                return total

    # --- one check -----------------------------------------------------------------

    async def check(self, source_id: int, store: DocumentStore) -> None:
        async with self.database.transaction() as session:
            source = await SourceRepository(session).get(source_id)
        if source is None or not source.enabled:
            return  # deleted or paused since the poll
        now = utcnow()
        if source.kind == SourceKind.TELEGRAM:
            if self.settings.ingest_telegram_enabled:
                checked = await ChannelIngest(
                    self.database, self.settings, self.bounds, self.userbot
                ).check(source, store, now)
                CHECKS.labels(checked).inc()
            return
        if source.kind not in (SourceKind.RSS, SourceKind.WEB):
            return
        assert source.url is not None
        try:
            outcome = await self._run(source, store, now)
        except HostBusy:
            CHECKS.labels("busy").inc()
            await self._record(source.id, next_check_at=now + timedelta(seconds=HOST_BUSY_RETRY_S))
            return
        except (FetchError, ParseError, UnsafeUrl) as exc:
            await self._failed(source, exc, now)
            return
        await self._succeeded(source, outcome, now)

    async def _run(self, source: Source, store: DocumentStore, now: datetime) -> Outcome:
        assert source.url is not None
        host, port = split_url(source.url)
        async with self.slots.slot(
            host_port(host, port), wait_s=self.settings.ingest_fetch_timeout_s
        ):
            fetched = await fetch(
                source.url,
                source.kind,
                self.limits,
                etag=source.etag,
                last_modified=source.last_modified,
                now=now,
            )
        if fetched.not_modified:
            return Outcome(fetched, None, StoreResult())
        try:
            title, documents = await asyncio.to_thread(self._documents, source, fetched, now)
        except ParseError:
            raise
        except Exception as exc:  # a body that trips our own code must not come back forever
            log.exception("source %d: reading %s failed", source.id, fetched.url)
            raise ParseError(f"unreadable content ({type(exc).__name__})") from exc
        return Outcome(fetched, title, await store.store(source.id, documents))

    @staticmethod
    def _documents(
        source: Source, fetched: Fetched, now: datetime
    ) -> tuple[str | None, list[Draft]]:
        """Parse and clean (CPU work, run in a thread)."""
        if source.kind == SourceKind.WEB:
            assert source.url is not None
            item = parse_page(fetched.body, fetched.url, identity=source.url)
            return item.title or None, drafts([item], DocumentKind.ARTICLE, now)
        feed = parse_feed(fetched.body, fetched.url, fetched.content_type)
        return feed.title, drafts(feed.items, DocumentKind.POST, now)

    async def _succeeded(self, source: Source, outcome: Outcome, now: datetime) -> None:
        fetched, result = outcome.fetched, outcome.result
        changed = result.stored > 0 or result.updated > 0
        etag, last_modified = fetched.etag, fetched.last_modified
        if fetched.not_modified:  # a 304 need not repeat the validators
            etag, last_modified = etag or source.etag, last_modified or source.last_modified
        async with self.database.transaction() as session:
            sources = SourceRepository(session)
            dates = await sources.recent_publications(source.id, RATE_SAMPLE)
            interval = publishing_interval(dates, now, self.bounds)
            if interval is None or source.kind == SourceKind.WEB:
                interval = adaptive_interval(source.poll_interval_s, changed, self.bounds)
            next_check_at = after_success(interval, fetched.max_age_s, now, self.bounds)
            if result.left_for_later:  # the rest of a backlog: soon, and not as a 304
                etag = last_modified = None
                next_check_at = now
            await sources.record(
                source.id,
                etag=_validator(etag),
                last_modified=_validator(last_modified),
                title=source.title or _title(outcome.feed_title),
                poll_interval_s=interval,
                next_check_at=next_check_at,
                last_checked_at=now,
                last_success_at=now,
                error_count=0,
                last_error=None,
            )
        outcome_name = "not_modified" if fetched.not_modified else "new" if changed else "unchanged"
        CHECKS.labels(outcome_name).inc()
        log.info(
            "source %d checked: %s; %d new (%d originals, duplicates: %s), %d updated, "
            "%d left for the next check; next check in %.0f s",
            source.id,
            outcome_name,
            result.stored,
            result.originals,
            result.duplicates or "none",
            result.updated,
            result.left_for_later,
            interval,
        )

    async def _failed(self, source: Source, error: Exception, now: datetime) -> None:
        errors = source.error_count + 1
        retry_after = error.retry_after_s if isinstance(error, FetchError) else None
        message = str(error).replace("\x00", "")[:MAX_ERROR]
        await self._record(
            source.id,
            error_count=errors,
            last_error=message,
            last_checked_at=now,
            next_check_at=after_failure(errors, retry_after, now, self.bounds),
        )
        CHECKS.labels("failed").inc()
        log.warning("source %d failed (%d in a row): %s", source.id, errors, message)

    async def _record(self, source_id: int, **values: object) -> None:
        async with self.database.transaction() as session:
            await SourceRepository(session).record(source_id, **values)


def _validator(value: str | None) -> str | None:
    """An ETag or Last-Modified worth storing: short and printable (else none)."""
    if value is None or len(value) > MAX_VALIDATOR or not value.isprintable():
        return None
    return value


def _title(value: str | None) -> str | None:
    title = clean_text(value or "", is_html=True)[:MAX_TITLE]
    return title or None

"""The download watcher: follows each torrent a person added through the media desk and
tells them once when it is done, or once when it has not moved for
``WORKER_MEDIA_STALL_AFTER_S`` (a paused torrent is not stalled).

A check covers one person's seedbox: its connection comes from the api (the seedbox's
credentials live encrypted there: :class:`ApiSeedboxDirectory`), its torrents are listed
once, outside any transaction; then one transaction locks that seedbox's active downloads
(``SKIP LOCKED``: a second check running at once skips them), records progress, and for
what is done or stalled makes the guarded change (``WHERE status = 'active'``, ``WHERE
stall_told_at IS NULL``) and queues the message with the dedup key
``media.download:<id>:done|stalled`` through the api's outbox. The message is queued before
the commit: if the commit fails, the next check queues it again under the same key, which
the outbox keeps once. So each event reaches the person exactly once across replicas.

A seedbox that cannot be asked (down, wrong password now, refused address) costs its
downloads a backoff (doubling from the check interval, at most an hour), never a message.
A download whose torrent is gone from the seedbox stops being followed; one whose seedbox
connection is gone (the person deleted it) too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from prometheus_client import Counter

from concierge.common.http_client import ServiceClient, ServiceResponseError
from concierge.contracts.notify import NotificationCreate
from concierge.db import Database
from concierge.domain.media.downloads import DownloadStatus
from concierge.media.errors import MediaError
from concierge.media.seedbox import SeedboxConfig, Torrent, TorrentState, open_seedbox
from concierge.worker.media.repository import WatcherRepository
from concierge.worker.media.texts import message
from concierge.worker.settings import WorkerSettings

log = logging.getLogger(__name__)

CHECKS = Counter(
    "media_seedbox_checks",
    "Checks of a person's seedbox by the download watcher, by outcome",
    ["outcome"],  # ok | failed | gone
)
TOLD = Counter(
    "media_downloads_told", "Downloads the watcher told people about", ["event"]
)  # done | stalled

NOTIFICATIONS = "/api/v1/notifications"
SEEDBOX_PATH = "/api/v1/media/service/seedboxes/{seedbox_id}"
CLAIM_BATCH = 500
PROGRESS_EPSILON = 0.0005


class SeedboxDirectory(Protocol):
    """Where a person's seedbox connection is read from."""

    async def config(self, user_id: int, seedbox_id: int) -> SeedboxConfig | None:
        """The connection (with its password), or None when it is gone or not theirs."""
        ...


class ApiSeedboxDirectory:
    """The api's service endpoint ``GET /api/v1/media/service/seedboxes/{seedbox_id}
    ?user_id=`` (service token): a ``SeedboxConfig`` as JSON with the password decrypted,
    404 when the person has no such seedbox. (The media desk's api owns it.)"""

    def __init__(self, api: ServiceClient) -> None:
        self.api = api

    async def config(self, user_id: int, seedbox_id: int) -> SeedboxConfig | None:
        try:
            response = await self.api.request(
                "GET", SEEDBOX_PATH.format(seedbox_id=seedbox_id), params={"user_id": user_id}
            )
        except ServiceResponseError as exc:
            if exc.status_code == 404:
                return None
            raise
        return SeedboxConfig.model_validate(response.json())


@dataclass(frozen=True)
class CheckOutcome:
    done: int = 0
    stalled: int = 0
    progressed: int = 0
    gone: int = 0
    failed: bool = False


class DownloadWatcher:
    def __init__(
        self,
        database: Database,
        settings: WorkerSettings,
        *,
        api: ServiceClient,
        directory: SeedboxDirectory | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.api = api
        self.directory = directory or ApiSeedboxDirectory(api)

    async def claim_due(self) -> list[tuple[int, int]]:
        async with self.database.transaction() as session:
            return await WatcherRepository(session).claim_due(
                limit=CLAIM_BATCH, lease_s=self.lease_s
            )

    @property
    def lease_s(self) -> float:
        """How long a claimed download waits before another claim may take it: longer than
        a check can take (its seedbox calls time out), so checks rarely overlap."""
        settings = self.settings
        return max(settings.media_check_every_s * 5, settings.media_seedbox_timeout_s * 4)

    async def check(self, user_id: int, seedbox_id: int) -> CheckOutcome:
        config = await self.directory.config(user_id, seedbox_id)
        if config is None:
            CHECKS.labels("gone").inc()
            return await self._seedbox_gone(user_id, seedbox_id)
        async with self.database.transaction() as session:
            hashes = await WatcherRepository(session).followed_hashes(user_id, seedbox_id)
        if not hashes:
            return CheckOutcome()
        try:
            torrents = await self._torrents(config, hashes)
        except MediaError as exc:
            log.info("seedbox %d of user %d: %s", seedbox_id, user_id, exc)
            CHECKS.labels("failed").inc()
            return await self._failed(user_id, seedbox_id, str(exc))
        outcome = await self._record(user_id, seedbox_id, torrents)
        CHECKS.labels("ok").inc()
        TOLD.labels("done").inc(outcome.done)
        TOLD.labels("stalled").inc(outcome.stalled)
        return outcome

    async def _torrents(self, config: SeedboxConfig, hashes: list[str]) -> dict[str, Torrent]:
        async with open_seedbox(
            config,
            allowed=self.settings.media_allowed_private_hosts,
            timeout=self.settings.media_seedbox_timeout_s,
        ) as box:
            return {t.hash: t for t in await box.list(hashes)}

    async def _seedbox_gone(self, user_id: int, seedbox_id: int) -> CheckOutcome:
        async with self.database.transaction() as session:
            repo = WatcherRepository(session)
            rows = await repo.active_for(user_id, seedbox_id)
            await repo.gone([r.id for r in rows], DownloadStatus.CANCELLED)
        return CheckOutcome(gone=len(rows))

    async def _failed(self, user_id: int, seedbox_id: int, error: str) -> CheckOutcome:
        async with self.database.transaction() as session:
            repo = WatcherRepository(session)
            rows = await repo.active_for(user_id, seedbox_id)
            await repo.failed([r.id for r in rows], error, self.settings.media_check_every_s)
        return CheckOutcome(failed=True)

    async def _record(
        self, user_id: int, seedbox_id: int, torrents: dict[str, Torrent]
    ) -> CheckOutcome:
        every = self.settings.media_check_every_s
        done = stalled = progressed = 0
        async with self.database.transaction() as session:
            repo = WatcherRepository(session)
            rows = await repo.active_for(user_id, seedbox_id)
            recipient = await repo.recipient(user_id) if rows else None
            missing = [r.id for r in rows if r.infohash not in torrents]
            await repo.gone(missing, DownloadStatus.REMOVED)
            for row in rows:
                torrent = torrents.get(row.infohash)
                if torrent is None:
                    continue
                if torrent.done:
                    if await repo.finish(row.id) and recipient is not None:
                        await self._tell(
                            row.id,
                            "done",
                            recipient.chat_id,
                            recipient.language,
                            row.name,
                            rate_id=row.id if row.title_id is not None else None,
                        )
                        done += 1
                    continue
                if torrent.progress > row.progress + PROGRESS_EPSILON:
                    await repo.progressed(row.id, torrent.progress, every)
                    progressed += 1
                    continue
                paused = torrent.state is TorrentState.PAUSED
                await repo.unchanged(row.id, every, paused=paused)
                if paused:
                    continue
                still_s = await repo.stalled_for_s(row.id)
                if still_s >= self.settings.media_stall_after_s and await repo.stall_told(row.id):
                    if recipient is not None:
                        await self._tell(
                            row.id,
                            "stalled",
                            recipient.chat_id,
                            recipient.language,
                            row.name,
                            hours=max(1, round(still_s / 3600)),
                            percent=int(torrent.progress * 100),
                        )
                    stalled += 1
        return CheckOutcome(done, stalled, progressed, len(missing))

    async def _tell(
        self,
        download_id: int,
        event: str,
        chat_id: int,
        language: str,
        name: str,
        rate_id: int | None = None,
        **values: object,
    ) -> None:
        notification = NotificationCreate(
            dedup_key=f"media.download:{download_id}:{event}",
            chat_id=chat_id,
            kind=f"media.download_{event}",
            payload=message(event, language, name, rate_id, **values),
        )
        await self.api.request(  # the dedup key makes a repeat harmless
            "POST",
            NOTIFICATIONS,
            idempotent=True,
            json=notification.model_dump(mode="json", exclude_none=True),
        )

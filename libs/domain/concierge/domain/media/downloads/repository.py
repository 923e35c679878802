"""Download rows, for the media desk's api (recording what the person added, listing
and cancelling their own) — every query scoped to the person. The worker's watcher has
its own queries (``concierge.worker.media.repository``).

The api calls, in the request's transaction, after the seedbox accepted the torrent::

    download = await DownloadRepository(session).record(
        user_id=user.id, seedbox_id=box.id, infohash=added_hash, name=release.title,
        size=release.size,
    )

and the watcher takes it from there (its first check is due at once).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from concierge.db.repository import Repository
from concierge.domain.media.downloads.models import DownloadStatus, MediaDownload

MAX_NAME_CHARS = 500


class DownloadRepository(Repository[MediaDownload]):
    model = MediaDownload

    async def record(
        self,
        *,
        user_id: int,
        seedbox_id: int,
        infohash: str,
        name: str,
        size: int | None = None,
        title_id: int | None = None,
        title_kind: str | None = None,
    ) -> MediaDownload:
        """Start following a torrent the person added (idempotent: the same torrent on the
        same seedbox again is the same row, followed again from now if it had ended)."""
        infohash = infohash.strip().lower()
        values = {
            "user_id": user_id,
            "seedbox_id": seedbox_id,
            "infohash": infohash,
            "name": name[:MAX_NAME_CHARS],
            "size": size,
            "status": DownloadStatus.ACTIVE.value,
            "title_id": title_id,
            "title_kind": title_kind,
        }
        statement = (
            insert(MediaDownload)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["user_id", "seedbox_id", "infohash"],
                set_={
                    "name": values["name"],
                    "size": size,
                    "title_id": title_id,
                    "title_kind": title_kind,
                    "status": DownloadStatus.ACTIVE.value,
                    "progress_at": func.now(),
                    "next_check_at": func.now(),
                    "checks_failed": 0,
                    "last_error": None,
                    "stall_told_at": None,
                },
                # a finished download stays finished (it was told); only a gone one restarts
                where=MediaDownload.status != DownloadStatus.DONE.value,
            )
            .returning(MediaDownload)
            .execution_options(populate_existing=True)
        )
        row = await self.session.scalar(statement)
        if row is None:  # it was done already: the row as it is
            row = await self.session.scalar(
                select(MediaDownload)
                .where(
                    MediaDownload.user_id == user_id,
                    MediaDownload.seedbox_id == seedbox_id,
                    MediaDownload.infohash == infohash,
                )
                .execution_options(populate_existing=True)
            )
        assert row is not None
        return row

    async def for_user(
        self, user_id: int, *, active_only: bool = False, limit: int = 50, offset: int = 0
    ) -> Sequence[MediaDownload]:
        """The person's downloads, newest first."""
        query = select(MediaDownload).where(MediaDownload.user_id == user_id)
        if active_only:
            query = query.where(MediaDownload.status == DownloadStatus.ACTIVE.value)
        query = query.order_by(MediaDownload.id.desc()).limit(limit).offset(offset)
        return (await self.session.scalars(query)).all()

    async def get_for_user(self, user_id: int, download_id: int) -> MediaDownload | None:
        """One of the person's downloads; None for another person's (answer 404)."""
        return await self.session.scalar(
            select(MediaDownload).where(
                MediaDownload.id == download_id, MediaDownload.user_id == user_id
            )
        )

    async def cancel(self, user_id: int, download_id: int) -> bool:
        """Stop following it (the person removed it through us); False if not theirs or
        not active."""
        result = await self.session.execute(
            update(MediaDownload)
            .where(
                MediaDownload.id == download_id,
                MediaDownload.user_id == user_id,
                MediaDownload.status == DownloadStatus.ACTIVE.value,
            )
            .values(status=DownloadStatus.CANCELLED.value)
            .returning(MediaDownload.id)
        )
        return result.first() is not None

"""The watcher's queries on ``media_downloads`` (the api records rows with
``concierge.domain.media.downloads.repository``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.identity.models import User
from concierge.domain.media.downloads.models import DownloadStatus, MediaDownload

ACTIVE = DownloadStatus.ACTIVE.value


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    language: str


def _later(seconds: float) -> object:
    return func.now() + timedelta(seconds=seconds)


class WatcherRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim_due(self, *, limit: int, lease_s: float) -> list[tuple[int, int]]:
        """Active downloads whose check is due, moved ``lease_s`` ahead (a lease: a check
        that dies does not hold them), as the distinct (user, seedbox) pairs to check."""
        due = (
            select(MediaDownload.id)
            .where(MediaDownload.status == ACTIVE, MediaDownload.next_check_at <= func.now())
            .order_by(MediaDownload.next_check_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
        )
        rows = await self.session.execute(
            update(MediaDownload)
            .where(MediaDownload.id.in_(select(due.c.id)))
            .values(next_check_at=_later(lease_s))
            .returning(MediaDownload.user_id, MediaDownload.seedbox_id)
        )
        return sorted({(r.user_id, r.seedbox_id) for r in rows})

    async def active_for(self, user_id: int, seedbox_id: int) -> Sequence[MediaDownload]:
        """The person's active downloads on that seedbox, locked for this check (another
        check of the same seedbox skips them)."""
        rows = await self.session.scalars(
            select(MediaDownload)
            .where(
                MediaDownload.user_id == user_id,
                MediaDownload.seedbox_id == seedbox_id,
                MediaDownload.status == ACTIVE,
            )
            .order_by(MediaDownload.id)
            .with_for_update(skip_locked=True)
        )
        return rows.all()

    async def progressed(self, download_id: int, progress: float, next_in_s: float) -> None:
        await self.session.execute(
            update(MediaDownload)
            .where(MediaDownload.id == download_id)
            .values(
                progress=progress,
                progress_at=func.now(),
                next_check_at=_later(next_in_s),
                checks_failed=0,
                last_error=None,
            )
        )

    async def unchanged(self, download_id: int, next_in_s: float, *, paused: bool) -> None:
        """Checked, no progress; a paused torrent's stall clock starts again."""
        values: dict[str, object] = {
            "next_check_at": _later(next_in_s),
            "checks_failed": 0,
            "last_error": None,
        }
        if paused:
            values["progress_at"] = func.now()
        await self.session.execute(
            update(MediaDownload).where(MediaDownload.id == download_id).values(**values)
        )

    async def stalled_for_s(self, download_id: int) -> float:
        seconds = await self.session.scalar(
            select(func.extract("epoch", func.now() - MediaDownload.progress_at)).where(
                MediaDownload.id == download_id
            )
        )
        return float(seconds or 0.0)

    async def finish(self, download_id: int) -> bool:
        """Done, once: True only for the check that made the change."""
        row = await self.session.execute(
            update(MediaDownload)
            .where(MediaDownload.id == download_id, MediaDownload.status == ACTIVE)
            .values(status=DownloadStatus.DONE.value, progress=1.0, done_at=func.now())
            .returning(MediaDownload.id)
        )
        return row.first() is not None

    async def stall_told(self, download_id: int) -> bool:
        """The stall is told once per stall: True only for the check that marked it."""
        row = await self.session.execute(
            update(MediaDownload)
            .where(
                MediaDownload.id == download_id,
                MediaDownload.status == ACTIVE,
                MediaDownload.stall_told_at.is_(None),
            )
            .values(stall_told_at=func.now())
            .returning(MediaDownload.id)
        )
        return row.first() is not None

    async def gone(self, download_ids: Sequence[int], status: DownloadStatus) -> None:
        if download_ids:
            await self.session.execute(
                update(MediaDownload)
                .where(MediaDownload.id.in_(download_ids), MediaDownload.status == ACTIVE)
                .values(status=status.value)
            )

    async def failed(self, download_ids: Sequence[int], error: str, base_s: float) -> None:
        """The seedbox could not be asked: back off (doubling, at most an hour)."""
        if not download_ids:
            return
        backoff = func.least(
            base_s * func.power(2, func.least(MediaDownload.checks_failed, 6)), 3600.0
        )
        await self.session.execute(
            update(MediaDownload)
            .where(MediaDownload.id.in_(download_ids))
            .values(
                checks_failed=MediaDownload.checks_failed + 1,
                last_error=error[:500],
                next_check_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, backoff),
            )
        )

    async def recipient(self, user_id: int) -> Recipient | None:
        row = (
            await self.session.execute(
                select(User.telegram_id, User.language, User.language_code).where(
                    User.id == user_id
                )
            )
        ).first()
        if row is None:
            return None
        language = row.language or (row.language_code or "")[:2]
        return Recipient(row.telegram_id, "ru" if language == "ru" else "en")

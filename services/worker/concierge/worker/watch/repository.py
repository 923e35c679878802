"""Every query of the watch poller: due targets, their provider, and when next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.watch.models import (
    Watch,
    WatchOffice,
    WatchProvider,
    WatchService,
    WatchTarget,
)


@dataclass(frozen=True)
class DueTarget:
    id: int
    due_at: datetime


@dataclass(frozen=True)
class TargetToPoll:
    id: int
    provider_slug: str
    kind: str
    base_url: str
    config: dict[str, Any]
    timezone: str
    floor_s: float
    office: str
    service: str
    start: date
    end: date


def _active_watch() -> Any:
    return exists().where(Watch.target_id == WatchTarget.id, Watch.paused_at.is_(None))


class WatchPollRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def now(self) -> datetime:
        now = await self.session.scalar(select(func.now()))
        assert now is not None
        return now

    async def claim_due(self, limit: int, jitter: Any) -> list[DueTarget]:
        """Due targets somebody watches (not paused by a captcha), moved to their next
        time in the same statement: a target is claimed by one replica per interval.
        ``jitter(floor_s)`` gives each target's next interval."""
        now = await self.now()
        query = (
            select(WatchTarget.id, WatchTarget.next_poll_at, WatchProvider.floor_interval_s)
            .join(WatchProvider, WatchProvider.id == WatchTarget.provider_id)
            .where(
                WatchTarget.next_poll_at <= now,
                WatchProvider.enabled,
                (WatchTarget.paused_until.is_(None)) | (WatchTarget.paused_until <= now),
                _active_watch(),
            )
            .order_by(WatchTarget.next_poll_at)
            .limit(limit)
            .with_for_update(of=WatchTarget, skip_locked=True)
        )
        claimed = []
        for target_id, due_at, floor_s in (await self.session.execute(query)).all():
            await self.session.execute(
                update(WatchTarget)
                .where(WatchTarget.id == target_id)
                .values(next_poll_at=now + timedelta(seconds=jitter(floor_s)))
            )
            claimed.append(DueTarget(target_id, due_at))
        return claimed

    async def target(self, target_id: int) -> TargetToPoll | None:
        """What a poll needs, with the dates its active watches cover (from today)."""
        query = (
            select(WatchTarget, WatchProvider, WatchOffice, WatchService)
            .join(WatchProvider, WatchProvider.id == WatchTarget.provider_id)
            .join(WatchOffice, WatchOffice.id == WatchTarget.office_id)
            .join(WatchService, WatchService.id == WatchTarget.service_id)
            .where(WatchTarget.id == target_id)
        )
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        target, provider, office, service = row
        dates = (
            await self.session.execute(
                select(func.min(Watch.date_from), func.max(Watch.date_to)).where(
                    Watch.target_id == target.id, Watch.paused_at.is_(None)
                )
            )
        ).one()
        today = (await self.now()).date()
        start = max(today, dates[0] or today)
        end = max(start, min(dates[1] or today, today + timedelta(days=366)))
        return TargetToPoll(
            id=target.id,
            provider_slug=provider.slug,
            kind=provider.kind,
            base_url=provider.base_url,
            config=dict(provider.config or {}),
            timezone=provider.timezone,
            floor_s=provider.floor_interval_s,
            office=office.external_id,
            service=service.external_id,
            start=start,
            end=end,
        )

    async def postpone(self, target_id: int, seconds: float) -> None:
        """No poll before ``seconds`` from now (a breaker open, the bucket empty)."""
        await self.session.execute(
            update(WatchTarget)
            .where(WatchTarget.id == target_id)
            .values(
                next_poll_at=func.greatest(
                    WatchTarget.next_poll_at, func.now() + timedelta(seconds=seconds)
                )
            )
        )

    async def providers_for_catalog(
        self, stale_after_s: float
    ) -> list[tuple[str, str, str, dict[str, Any], str]]:
        """Providers whose catalog was never read or is older than ``stale_after_s``."""
        now = await self.now()
        query = select(WatchProvider).where(
            WatchProvider.enabled,
            (WatchProvider.catalog_updated_at.is_(None))
            | (WatchProvider.catalog_updated_at < now - timedelta(seconds=stale_after_s)),
        )
        return [
            (p.slug, p.kind, p.base_url, dict(p.config or {}), p.timezone)
            for p in (await self.session.scalars(query)).all()
        ]

    async def unhealthy_targets(self, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """How many watched targets are failing or paused by a captcha, and the first
        ``limit`` of them (id, provider, state, last success, failures, last error)."""
        where = (WatchTarget.state.in_(("failing", "captcha")), _active_watch())
        total = await self.session.scalar(
            select(func.count()).select_from(WatchTarget).where(*where)
        )
        rows = await self.session.execute(
            select(WatchTarget, WatchProvider.slug)
            .join(WatchProvider, WatchProvider.id == WatchTarget.provider_id)
            .where(*where)
            .order_by(WatchTarget.failures_in_row.desc(), WatchTarget.id)
            .limit(limit)
        )
        found = [
            {
                "id": target.id,
                "provider": slug,
                "state": target.state,
                "last_success_at": target.last_success_at.isoformat()
                if target.last_success_at
                else None,
                "failures_in_row": target.failures_in_row,
                "last_error": target.last_error,
            }
            for target, slug in rows.all()
        ]
        return int(total or 0), found

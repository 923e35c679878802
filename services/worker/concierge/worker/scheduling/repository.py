"""Every query on ``schedules`` the worker makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.dialects.postgresql import insert

from concierge.db.repository import Repository
from concierge.domain.scheduling.models import Schedule


class ScheduleRepository(Repository[Schedule]):
    model = Schedule

    async def now(self) -> datetime:
        """The database's clock (the transaction's start): one clock for every replica."""
        now = await self.session.scalar(select(func.now()))
        assert now is not None
        return now

    async def claim_due(self, now: datetime, limit: int) -> Sequence[Schedule]:
        """Lock the due schedules no other transaction holds; other replicas skip them."""
        query = (
            select(Schedule)
            .where(Schedule.enabled, Schedule.next_run_at <= now)
            .order_by(Schedule.next_run_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(query)).all()

    async def by_name(self, name: str) -> Schedule | None:
        return await self.session.scalar(select(Schedule).where(Schedule.name == name))

    async def upsert(self, values: dict[str, Any], *, reset_next_run: bool) -> Schedule:
        """Insert or update by name. An existing schedule keeps its next_run_at unless its
        timing changed or ``reset_next_run``, so redeploying does not shift its ticks."""
        insert_ = insert(Schedule).values(**values)
        new = insert_.excluded
        timing_changed = or_(
            Schedule.interval_s.is_distinct_from(new.interval_s),
            Schedule.cron.is_distinct_from(new.cron),
        )
        next_run_at = (
            new.next_run_at
            if reset_next_run
            else case((timing_changed, new.next_run_at), else_=Schedule.next_run_at)
        )
        statement = insert_.on_conflict_do_update(
            index_elements=[Schedule.name],
            set_={
                "job_type": new.job_type,
                "payload": new.payload,
                "interval_s": new.interval_s,
                "cron": new.cron,
                "enabled": new.enabled,
                "next_run_at": next_run_at,
            },
        ).returning(Schedule)
        schedule = await self.session.scalar(
            statement, execution_options={"populate_existing": True}
        )
        assert schedule is not None
        return schedule

"""Creating and changing schedules (for desks that need a periodic job, and for tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.scheduling.models import Schedule
from concierge.worker.scheduling.repository import ScheduleRepository
from concierge.worker.scheduling.timing import check_timing, first_run


async def save_schedule(
    session: AsyncSession,
    name: str,
    job_type: str,
    *,
    every_s: float | None = None,
    cron: str | None = None,
    payload: dict[str, Any] | None = None,
    first_run_at: datetime | None = None,
    enabled: bool = True,
) -> Schedule:
    """Create the schedule ``name`` or update it; the caller's transaction commits it.

    Exactly one of ``every_s`` and ``cron`` (UTC, croniter syntax). A new interval
    schedule fires at once, a new cron one at its next match, unless ``first_run_at``
    says when; an existing one keeps its next tick unless its timing changed.
    """
    check_timing(every_s, cron)
    repository = ScheduleRepository(session)
    next_run_at = first_run_at or first_run(await repository.now(), every_s, cron)
    values = {
        "name": name,
        "job_type": job_type,
        "payload": payload or {},
        "interval_s": every_s,
        "cron": cron,
        "next_run_at": next_run_at,
        "enabled": enabled,
    }
    return await repository.upsert(values, reset_next_run=first_run_at is not None)

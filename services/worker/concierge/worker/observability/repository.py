"""The queries behind the state gauges: cheap, on partial or small indexes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Due notifications not sent yet (a retry scheduled for later is not a backlog).
_OUTBOX = text(
    "SELECT count(*) AS waiting, "
    "coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0) AS oldest_s "
    "FROM outbox WHERE status IN ('pending', 'leased') AND next_attempt_at <= now()"
)
# Enabled sources with errors and no success (since they were added) for a day.
_FAILING_SOURCES = text(
    "SELECT count(*) FROM sources WHERE enabled AND error_count > 0 "
    "AND coalesce(last_success_at, created_at) < now() - make_interval(secs => :for_s)"
)


@dataclass(frozen=True)
class OutboxBacklog:
    waiting: int
    oldest_s: float


class StateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def outbox_backlog(self) -> OutboxBacklog:
        row = (await self.session.execute(_OUTBOX)).one()
        return OutboxBacklog(int(row.waiting), max(0.0, float(row.oldest_s)))

    async def sources_failing(self, for_s: float) -> int:
        return int(await self.session.scalar(_FAILING_SOURCES, {"for_s": for_s}) or 0)

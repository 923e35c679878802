"""Gauges of state that lives in Postgres and no event counts: the outbox's backlog (the
due notifications waiting, and how long the oldest has waited) and the sources whose
checks have failed for a day. Every replica refreshes them every ``state_gauges_every_s``
(two cheap queries), so each replica's /metrics has them; alerts take ``max()``."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import Gauge

from concierge.db import Database
from concierge.worker.observability.repository import StateRepository

log = logging.getLogger(__name__)

FAILING_FOR_S = 24 * 3600.0

OUTBOX_WAITING = Gauge(
    "notify_outbox_waiting", "Due notifications in the outbox not sent yet (pending or leased)"
)
OUTBOX_OLDEST = Gauge(
    "notify_outbox_oldest_waiting_seconds",
    "How long the oldest due notification has waited to be sent (0: none waits)",
)
SOURCES_FAILING = Gauge(
    "ingest_sources_failing_for_a_day",
    "Enabled sources whose every check has failed for at least 24 hours",
)


class StateGauges:
    def __init__(self, database: Database, every_s: float) -> None:
        self.database = database
        self.every_s = every_s
        self._stopping = asyncio.Event()

    async def refresh(self) -> None:
        async with self.database.transaction() as session:
            state = StateRepository(session)
            backlog = await state.outbox_backlog()
            failing = await state.sources_failing(FAILING_FOR_S)
        OUTBOX_WAITING.set(backlog.waiting)
        OUTBOX_OLDEST.set(backlog.oldest_s)
        SOURCES_FAILING.set(failing)

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.refresh()
            except Exception as exc:  # Postgres away: the gauges keep their last values
                log.warning("the state gauges could not be refreshed: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.every_s)

    def stop(self) -> None:
        self._stopping.set()

"""The watch targets' health as the worker's /ready shows it: degraded information
(failing or captcha-paused targets somebody watches), never a reason to be unready,
since one provider misbehaving says nothing about this worker."""

from __future__ import annotations

from typing import Any

from concierge.db import Database
from concierge.worker.watch.repository import WatchPollRepository

SHOWN = 20  # targets listed at most; the count covers all


async def unhealthy_targets(database: Database) -> dict[str, Any]:
    async with database.transaction() as session:
        total, targets = await WatchPollRepository(session).unhealthy_targets(SHOWN)
    return {"unhealthy": total, "targets": targets}

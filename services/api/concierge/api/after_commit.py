"""Work that must wait until the request's transaction committed.

A worker job enqueued before the commit could run against rows it cannot see yet, and
files deleted before the commit would be gone for a row whose delete rolls back. Such
work is handed to ``AfterCommit`` and runs as a background task, after the response;
the request's session has committed by then (``SessionDep`` commits before the response
is sent).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import BackgroundTasks, Depends, Request
from pydantic import BaseModel
from redis.exceptions import RedisError

from concierge.contracts.jobs import JobSpec
from concierge.streams import JobQueue

log = logging.getLogger(__name__)

PayloadT = TypeVar("PayloadT", bound=BaseModel)


async def _enqueue(jobs: JobQueue, name: str, payload: dict[str, Any]) -> None:
    """Redis being away fails nothing: the worker's sweeps find what a lost job missed."""
    try:
        await jobs.enqueue(name, payload)
    except (RedisError, OSError):
        log.warning("could not enqueue %s %s; the sweep will catch up", name, payload,
                    exc_info=True)  # fmt: skip


class AfterCommit:
    def __init__(self, background: BackgroundTasks, jobs: JobQueue) -> None:
        self.background = background
        self.jobs = jobs

    def enqueue(self, spec: JobSpec[PayloadT], payload: PayloadT) -> None:
        self.background.add_task(_enqueue, self.jobs, spec.name, spec.dump(payload))

    def call(self, work: Callable[..., Awaitable[None]], *args: Any) -> None:
        self.background.add_task(work, *args)


def get_after_commit(request: Request, background: BackgroundTasks) -> AfterCommit:
    return AfterCommit(background, request.app.state.jobs)


AfterCommitDep = Annotated[AfterCommit, Depends(get_after_commit)]

"""The watch API's dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.api.notify.deps import NotifyServiceDep
from concierge.api.watch.repository import WatchRepository
from concierge.api.watch.service import TargetDesk, WatchDesk
from concierge.db import SessionDep


def get_watch_repository(session: SessionDep) -> WatchRepository:
    return WatchRepository(session)


WatchRepositoryDep = Annotated[WatchRepository, Depends(get_watch_repository)]


def get_watch_desk(repository: WatchRepositoryDep, notify: NotifyServiceDep) -> WatchDesk:
    return WatchDesk(repository, notify)


WatchDeskDep = Annotated[WatchDesk, Depends(get_watch_desk)]


def get_target_desk(
    request: Request, repository: WatchRepositoryDep, notify: NotifyServiceDep
) -> TargetDesk:
    settings = request.app.state.settings
    return TargetDesk(
        repository,
        notify,
        failing_after=settings.watch_failing_after,
        captcha_pause_s=settings.watch_captcha_pause_s,
    )


TargetDeskDep = Annotated[TargetDesk, Depends(get_target_desk)]

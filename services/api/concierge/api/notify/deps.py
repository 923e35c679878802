"""Notify's dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from concierge.api.notify.service import NotifyService
from concierge.db import SessionDep


def get_notify_service(session: SessionDep) -> NotifyService:
    return NotifyService.for_session(session)


NotifyServiceDep = Annotated[NotifyService, Depends(get_notify_service)]

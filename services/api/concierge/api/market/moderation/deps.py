"""Moderation's dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.api.after_commit import AfterCommitDep
from concierge.api.market.moderation.repository import ModerationRepository
from concierge.api.market.moderation.service import ModerationService
from concierge.api.notify.deps import NotifyServiceDep
from concierge.api.paging import CursorCodecDep
from concierge.db import SessionDep


def get_moderation_service(
    request: Request,
    session: SessionDep,
    notify: NotifyServiceDep,
    after_commit: AfterCommitDep,
    cursors: CursorCodecDep,
) -> ModerationService:
    webapp_url: str = request.app.state.settings.webapp_url
    listings = ModerationRepository(session)
    return ModerationService(listings, notify, after_commit, cursors, webapp_url)


ModerationServiceDep = Annotated[ModerationService, Depends(get_moderation_service)]

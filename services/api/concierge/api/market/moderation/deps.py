"""Moderation's dependencies."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from concierge.api.after_commit import AfterCommitDep
from concierge.api.market.moderation.repository import ModerationRepository
from concierge.api.market.moderation.service import ModerationService
from concierge.api.market.reports.repository import ReportRepository
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
    settings = request.app.state.settings
    return ModerationService(
        ModerationRepository(session),
        ReportRepository(session),
        notify,
        after_commit,
        cursors,
        settings.webapp_url,
        timedelta(seconds=settings.listing_lifetime_s),
    )


ModerationServiceDep = Annotated[ModerationService, Depends(get_moderation_service)]

"""The feed API's dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.api.after_commit import AfterCommitDep
from concierge.api.feed.repository import FeedRepository
from concierge.api.feed.service import FeedDesk
from concierge.api.identity.deps import IdentityServiceDep
from concierge.api.notify.deps import NotifyServiceDep
from concierge.db import SessionDep


def get_feed_desk(
    request: Request,
    session: SessionDep,
    identity: IdentityServiceDep,
    notify: NotifyServiceDep,
    after_commit: AfterCommitDep,
) -> FeedDesk:
    settings = request.app.state.settings
    return FeedDesk(
        FeedRepository(session),
        identity,
        notify,
        request.app.state.redis,
        after_commit,
        per_channel=settings.feed_training_per_channel,
        explore=settings.feed_explore,
        ratings_per_minute=settings.feed_ratings_per_minute,
        userbot_url=settings.userbot_url,
        service_token=request.app.state.service_token,
    )


FeedDeskDep = Annotated[FeedDesk, Depends(get_feed_desk)]

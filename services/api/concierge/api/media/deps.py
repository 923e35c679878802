"""The media API's dependencies: the desk on the request's session, and the conversation
(None when no LLM is configured: the button flow still works)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concierge.agent.chat import Limits
from concierge.agent.history import HistoryStore
from concierge.agent.providers import build_model
from concierge.api.assistant.deps import llm_config
from concierge.api.media.conversation.service import MediaConversation
from concierge.api.media.repository import MediaRepository
from concierge.api.media.rotate_keys import key_ring
from concierge.api.media.service import MediaConfig, MediaDesk
from concierge.api.settings import ApiSettings
from concierge.db import SessionDep
from concierge.domain.media.downloads.repository import DownloadRepository


def media_config(settings: ApiSettings) -> MediaConfig:
    key = settings.media_tmdb_key.get_secret_value() if settings.media_tmdb_key else None
    return MediaConfig(
        box=key_ring(settings),
        tmdb_url=settings.media_tmdb_url,
        tmdb_key=key,
        allowed=settings.media_allowed_private_hosts,
        timeout_s=settings.media_timeout_s,
    )


def get_media_desk(request: Request, session: SessionDep) -> MediaDesk:
    state = request.app.state
    config = getattr(state, "media_config", None)
    if config is None:
        config = state.media_config = media_config(state.settings)
    return MediaDesk(MediaRepository(session), DownloadRepository(session), state.redis, config)


MediaDeskDep = Annotated[MediaDesk, Depends(get_media_desk)]


def get_conversation(request: Request) -> MediaConversation | None:
    """A conversation for one turn (its model's client is closed when the turn ends)."""
    config = llm_config(request.app.state.settings)
    if config is None:
        return None
    history = HistoryStore(request.app.state.redis, "media")
    return MediaConversation(build_model(config), history, Limits())


ConversationDep = Annotated[MediaConversation | None, Depends(get_conversation)]

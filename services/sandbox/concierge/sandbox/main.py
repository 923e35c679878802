"""The sandbox application: the Telegram Bot API emulator with its user side, and the
demo feeds (RSS and article pages) that ingestion reads."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from concierge.common.service_app import create_service_app
from concierge.sandbox.appointments import routes as appointments
from concierge.sandbox.appointments.state import Appointments
from concierge.sandbox.avito import routes as avito
from concierge.sandbox.avito.state import AvitoState
from concierge.sandbox.feeds import routes as feeds
from concierge.sandbox.feeds.store import FeedStore
from concierge.sandbox.llm import routes as llm
from concierge.sandbox.logs import redact_tokens_in_access_log
from concierge.sandbox.media import controls as media_controls
from concierge.sandbox.media import metadata as media_metadata
from concierge.sandbox.media import seedboxes as media_seedboxes
from concierge.sandbox.media import torznab as media_torznab
from concierge.sandbox.media.state import MediaSandbox
from concierge.sandbox.settings import SandboxSettings
from concierge.sandbox.telegram import botapi, chatpage, controls, userside
from concierge.sandbox.telegram.state import SandboxState

log = logging.getLogger(__name__)


def create_app(settings: SandboxSettings | None = None) -> FastAPI:
    settings = settings or SandboxSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = SandboxState(settings)
        app.state.sandbox = state
        app.state.avito_http = httpx.AsyncClient(trust_env=False)
        log.info("sandbox ready; chat page at %s/", settings.base_url)
        try:
            yield
        finally:
            await state.close()
            await app.state.avito_http.aclose()

    redact_tokens_in_access_log()
    app = create_service_app("sandbox", settings, lifespan=lifespan)
    app.state.settings = settings
    app.state.feeds = FeedStore.from_corpus()
    app.state.appointments = Appointments()
    app.state.media = MediaSandbox(torrent_seconds=settings.media_torrent_seconds)
    app.state.avito = AvitoState(token_ttl_s=settings.avito_token_ttl_s)
    routers = (botapi.router, userside.router, controls.router, chatpage.router, feeds.router)
    media = (
        media_controls.router,
        media_metadata.router,
        media_torznab.router,
        media_seedboxes.router,
    )
    for router in (*routers, llm.router, appointments.router, avito.router, *media):
        app.include_router(router)
    return app

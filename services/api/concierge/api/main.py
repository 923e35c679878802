"""The api application: identity and notify now; every desk adds its router here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from concierge.api.identity.endpoints import router as identity_router
from concierge.api.migrate import upgrade_database
from concierge.api.notify.endpoints import router as notify_router
from concierge.api.settings import ApiSettings
from concierge.common.service_app import ReadinessCheck, create_service_app
from concierge.db import Database


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await asyncio.to_thread(upgrade_database, settings.database_url)
        database = Database(settings.database_url, pool_size=settings.database_pool_size)
        app.state.database = database
        try:
            yield
        finally:
            await database.dispose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"postgres": app.state.database.ping}

    app = create_service_app("api", settings, lifespan=lifespan, readiness=readiness, docs=True)
    app.state.settings = settings
    app.state.service_token = settings.service_token.get_secret_value()

    v1 = APIRouter(prefix="/api/v1")
    v1.include_router(identity_router)
    v1.include_router(notify_router)
    app.include_router(v1)
    return app

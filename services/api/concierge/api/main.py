"""The api application: identity and notify now; every desk adds its router here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from redis.asyncio import Redis

from concierge.api.assistant.deps import open_assistant
from concierge.api.assistant.endpoints import router as assistant_router
from concierge.api.feed.endpoints import router as feed_router
from concierge.api.feed.endpoints import service_router as feed_service_router
from concierge.api.identity.endpoints import router as identity_router
from concierge.api.identity.endpoints import webapp_router as webapp_auth_router
from concierge.api.ingest.endpoints import router as ingest_router
from concierge.api.market.inquiries.endpoints import router as market_inquiries_router
from concierge.api.market.listings.endpoints import router as market_listings_router
from concierge.api.market.listings.endpoints import service_router as market_service_router
from concierge.api.market.moderation.endpoints import router as market_moderation_router
from concierge.api.market.photos.endpoints import router as market_photos_router
from concierge.api.market.photos.schemas import UPLOAD_BODY_BYTES, UPLOAD_PATH
from concierge.api.market.reports.endpoints import router as market_reports_router
from concierge.api.mcp.endpoints import router as mcp_router
from concierge.api.mcp.runtime import McpRuntime
from concierge.api.mcp.server import mount_mcp, running
from concierge.api.media.endpoints import router as media_router
from concierge.api.media.endpoints import service_router as media_service_router
from concierge.api.migrate import upgrade_database
from concierge.api.notify.endpoints import router as notify_router
from concierge.api.paging import CursorCodec
from concierge.api.ratelimit import install_rate_limits
from concierge.api.rentals.accounts.endpoints import router as rentals_accounts_router
from concierge.api.rentals.accounts.endpoints import (
    service_router as rentals_accounts_service_router,
)
from concierge.api.rentals.assistant.endpoints import router as rentals_guest_router
from concierge.api.rentals.assistant.endpoints import (
    service_router as rentals_guest_service_router,
)
from concierge.api.rentals.calendar.endpoints import router as rentals_calendar_router
from concierge.api.rentals.calendar.endpoints import (
    service_router as rentals_calendar_service_router,
)
from concierge.api.rentals.checkin.endpoints import router as rentals_checkin_router
from concierge.api.rentals.guests.endpoints import service_router as rentals_guests_router
from concierge.api.search.deps import open_search
from concierge.api.search.endpoints import router as search_router
from concierge.api.settings import ApiSettings
from concierge.api.watch.endpoints import router as watch_router
from concierge.api.watch.endpoints import service_router as watch_service_router
from concierge.api.webapp_static import mount_webapp
from concierge.common.openapi import document_errors
from concierge.common.service_app import ReadinessCheck, create_service_app
from concierge.contracts.errors import ErrorCode
from concierge.db import Database
from concierge.storage.backends import build_storage
from concierge.streams import JobQueue


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await asyncio.to_thread(upgrade_database, settings.database_url)
        database = Database(settings.database_url, pool_size=settings.database_pool_size)
        app.state.database = database
        redis = Redis.from_url(settings.redis_url, decode_responses=True)
        app.state.redis = redis
        # Follow-up work for the worker (index an approved listing, make thumbnails).
        app.state.jobs = JobQueue(redis, settings.jobs_stream)
        await app.state.storage.prepare()
        try:
            async with (
                open_search(settings, app.state.cursors) as search,
                open_assistant(settings) as assistant,
                running(mcp_app),
            ):
                app.state.search, app.state.assistant = search, assistant
                yield
        finally:
            await redis.aclose()
            await database.dispose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"postgres": app.state.database.ping}

    app = create_service_app(
        "api",
        settings,
        lifespan=lifespan,
        readiness=readiness,
        docs=True,
        larger_bodies={UPLOAD_PATH: UPLOAD_BODY_BYTES},  # photo uploads (local storage)
        quiet_paths={"/api/v1/notifications/claims"},  # the bot's relay polls it 4 times/s
    )
    app.state.settings = settings
    app.state.service_token = settings.service_token.get_secret_value()
    # Page cursors of every list, signed so a forged or edited one is refused.
    app.state.cursors = CursorCodec(app.state.service_token.encode())
    # Listing photos (S3 or local disk); built here, not in the lifespan, as it opens nothing.
    app.state.storage = build_storage(
        settings, public_url=settings.public_url, signing_key=settings.upload_signing_secret
    )
    install_rate_limits(app, settings)

    v1 = APIRouter(prefix="/api/v1")
    v1.include_router(identity_router)
    v1.include_router(webapp_auth_router)
    v1.include_router(notify_router)
    v1.include_router(ingest_router)
    v1.include_router(search_router)
    v1.include_router(assistant_router)
    v1.include_router(market_listings_router)
    v1.include_router(market_moderation_router)
    # the media desk before the photos' /media/{key:path} (photo keys start uploads/,
    # photos/ or thumbs/, never a media desk path)
    v1.include_router(media_router)
    v1.include_router(media_service_router)
    v1.include_router(market_photos_router)
    v1.include_router(market_inquiries_router)
    v1.include_router(market_reports_router)
    v1.include_router(market_service_router)
    v1.include_router(watch_router)
    v1.include_router(watch_service_router)
    v1.include_router(rentals_checkin_router)
    v1.include_router(feed_router)
    v1.include_router(feed_service_router)
    v1.include_router(rentals_accounts_router)
    v1.include_router(rentals_accounts_service_router)
    v1.include_router(rentals_guests_router)
    v1.include_router(rentals_calendar_router)
    v1.include_router(rentals_calendar_service_router)
    v1.include_router(mcp_router)
    v1.include_router(rentals_guest_router)
    v1.include_router(rentals_guest_service_router)
    app.include_router(v1)
    # The MCP surface: tools for AI agents, bearer tokens of people (/mcp_token in the bot).
    app.state.mcp = McpRuntime(app.state)
    mcp_app = mount_mcp(app, app.state.mcp, sorted(settings.mcp_allowed_hosts))
    mount_webapp(app, settings)
    document_errors(app, rate_limited_prefix=v1.prefix, error_codes=ErrorCode)
    return app

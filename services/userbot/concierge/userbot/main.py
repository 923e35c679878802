"""The user-bot's application: the gateway (Telethon or the sandbox), the channel cache
and account state beside the session, the flood gate, the HTTP API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from concierge.common.http_client import ServiceClient
from concierge.common.service_app import DegradedInfo, ReadinessCheck, create_service_app
from concierge.contracts.api_client import ApiClient
from concierge.userbot.account import Account
from concierge.userbot.cache import ChannelCache
from concierge.userbot.channels import ChannelService
from concierge.userbot.endpoints import router
from concierge.userbot.floods import FloodGate
from concierge.userbot.gateway import Gateway
from concierge.userbot.notify import admin_notifier
from concierge.userbot.settings import Backend, UserbotSettings

log = logging.getLogger(__name__)


def make_gateway(settings: UserbotSettings) -> Gateway:
    if settings.backend == Backend.SANDBOX:
        from concierge.userbot.gateway.sandbox_gateway import SandboxGateway

        return SandboxGateway(settings.sandbox_url)
    from concierge.userbot.gateway.telethon_gateway import TelethonGateway, make_client

    return TelethonGateway(
        make_client(
            settings.session_path,
            settings.api_id,
            settings.api_hash.get_secret_value() if settings.api_hash else "",
            settings.flood_sleep_threshold_s,
        )
    )


def create_app(settings: UserbotSettings, gateway: Gateway | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        http = ServiceClient(settings.api_url, settings.service_token.get_secret_value())
        account = Account(
            settings.state_path, admin_notifier(ApiClient(http), settings.session_path.stem)
        )
        chosen = gateway or make_gateway(settings)
        await chosen.start()
        floods = FloodGate()
        app.state.account = account
        app.state.floods = floods
        app.state.gateway = chosen
        app.state.channels = ChannelService(
            chosen,
            ChannelCache(settings.cache_path),
            account,
            floods,
            join_interval_s=settings.join_interval_s,
            read_chunk=settings.read_chunk,
        )
        await _check_session(chosen, account)
        log.info(
            "userbot ready (%s backend, %d channels cached)",
            settings.backend.value,
            len(app.state.channels.cache),
        )
        try:
            yield
        finally:
            await chosen.stop()
            await http.aclose()

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {}

    def degraded(app: FastAPI) -> Mapping[str, DegradedInfo]:
        async def account() -> Any:
            reason = app.state.account.logged_out
            return {"logged_out": reason} if reason else None

        async def flood_waits() -> Any:
            return app.state.floods.state() or None

        return {"account": account, "flood_waits": flood_waits}

    app = create_service_app(
        "userbot", settings, lifespan=lifespan, readiness=readiness, degraded=degraded
    )
    app.state.settings = settings
    app.state.service_token = settings.service_token.get_secret_value()
    app.include_router(router)
    return app


async def _check_session(gateway: Gateway, account: Account) -> None:
    """At start: a session that is not logged in is the logged-out state (admins told
    once); one that is clears it."""
    try:
        authorized = await gateway.authorized()
    except Exception as exc:  # Telegram unreachable at start: find out at the first call
        log.warning("could not check the session at start: %r", exc)
        return
    if authorized:
        account.logged_in()
    else:
        await account.lost("not logged in")

"""The bot's ASGI app: the webhook route, the update consumer, the poller, the relay.

The webhook stores each update durably (see inbox.py) and answers 200; the
consumer hands stored updates to python-telegram-bot and acknowledges them after
their handlers finish. In polling mode a poller fills the same inbox. The outbox
relay (notify/relay.py) sends api's notifications beside them, under the same
sending budget as the replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request, Response
from redis.asyncio import Redis
from redis.exceptions import RedisError

from concierge.bot import deps
from concierge.bot.consumer import RetryBook, RetryPolicy, UpdateConsumer
from concierge.bot.feed.messages import MessageManager
from concierge.bot.flood import FloodGuard
from concierge.bot.inbox import InvalidUpdate, UpdateInbox, parse_update
from concierge.bot.instance import InstanceLock, bot_id_of
from concierge.bot.notify.ledger import SentLedger
from concierge.bot.notify.pacing import DeliveryPacing
from concierge.bot.notify.relay import OutboxRelay, RelaySettings
from concierge.bot.polling import Poller
from concierge.bot.search.sessions import SearchSessions
from concierge.bot.settings import WEBHOOK_PATH, BotSettings, UpdateSource
from concierge.bot.taps import TapCollapser
from concierge.bot.telegram_app import (
    ALLOWED_UPDATES,
    build_application,
    connect_update_source,
    publish_commands,
    publish_menu_button,
)
from concierge.bot.users import UserDirectory
from concierge.common.auth import tokens_match
from concierge.common.errors import BadRequest, Forbidden, Unavailable
from concierge.common.http_client import ServiceClient
from concierge.common.service_app import ReadinessCheck, create_service_app
from concierge.contracts.api_client import ApiClient
from concierge.contracts.market_client import MarketApiClient
from concierge.streams import StreamGroup

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
STOP_GRACE_S = 3.0  # plus uvicorn's drain, this stays under Docker's 10 s


def create_app(settings: BotSettings | None = None) -> FastAPI:
    settings = settings or BotSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            redis = Redis.from_url(settings.redis_url, decode_responses=True)
            stack.push_async_callback(redis.aclose)
            lock = InstanceLock(redis, bot_id_of(settings.token), settings.instance_lock_ttl_s)
            await lock.acquire()  # one bot process per token, or none starts
            stack.push_async_callback(lock.release)
            _run_beside(stack, "instance-lock", lock.keep(), lock.stop)
            http = ServiceClient(settings.api_url, settings.service_token.get_secret_value())
            stack.push_async_callback(http.aclose)
            pacing = DeliveryPacing.create(
                settings.messages_per_second,
                settings.private_chat_interval_s,
                settings.group_chat_interval_s,
            )
            application = build_application(settings, pacing)
            book = RetryBook()
            api = ApiClient(http)
            flood = FloodGuard(redis, settings.flood_limit, settings.flood_window_s)
            deps.install(
                application,
                deps.BotDeps(
                    UserDirectory(api, redis),
                    book,
                    flood,
                    api,
                    SearchSessions(redis),
                    TapCollapser(redis, settings.tap_window_s),
                    MarketApiClient(http),
                    webapp_url=settings.webapp_buttons_url,
                    messages=MessageManager(redis),
                ),
            )
            await stack.enter_async_context(application)  # initialize: getMe
            stream = f"{settings.update_stream}:{application.bot.id}"  # one per bot token
            inbox = UpdateInbox(redis, stream, application.bot.id, settings.dedup_ttl_s)
            app.state.inbox, app.state.redis, app.state.api = inbox, redis, api
            await application.start()
            stack.push_async_callback(application.stop)
            await publish_commands(application)
            await publish_menu_button(application, settings.webapp_buttons_url)
            await connect_update_source(application, settings)

            group = StreamGroup(redis, stream, "bot", settings.consumer_name)
            policy = RetryPolicy(settings.update_lifetime_s, settings.handling_max_backoff_s)
            consumer = UpdateConsumer(group, application, book, policy)
            _run_beside(stack, "update-consumer", consumer.run(), consumer.stop)
            if settings.update_source == UpdateSource.POLLING:
                poller = Poller(application, inbox, ALLOWED_UPDATES)
                _run_beside(stack, "poller", poller.run(), poller.stop)
            if settings.notify_enabled:
                relay = OutboxRelay(
                    api, application.bot, pacing, relay_settings(settings), SentLedger(redis)
                )
                _run_beside(stack, "outbox-relay", relay.run(), relay.stop)
            yield

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"redis": app.state.redis.ping, "api": app.state.api.ping}

    app = create_service_app(
        "bot", settings, lifespan=lifespan, readiness=readiness, quiet_paths={WEBHOOK_PATH}
    )  # each update is logged once, when handled (consumer.py)
    secret = settings.webhook_secret.get_secret_value()

    @app.post(WEBHOOK_PATH, include_in_schema=False)
    async def webhook(
        request: Request,
        secret_token: Annotated[str | None, Header(alias=SECRET_HEADER)] = None,
    ) -> Response:
        if not tokens_match(secret_token, secret):
            raise Forbidden("Wrong or missing secret token")
        try:
            update = parse_update(await request.body())
        except InvalidUpdate as exc:
            raise BadRequest(str(exc)) from exc
        try:
            await request.app.state.inbox.accept(update)
        except RedisError as exc:  # not stored, so not acknowledged: Telegram will resend
            raise Unavailable("Update store unavailable") from exc
        return Response(status_code=200)

    return app


def relay_settings(settings: BotSettings) -> RelaySettings:
    return RelaySettings(
        batch_size=settings.notify_batch_size,
        lease_s=settings.notify_lease_s,
        poll_interval_s=settings.notify_poll_interval_s,
        report_interval_s=settings.notify_report_interval_s,
        outage_first_pause_s=settings.notify_outage_first_pause_s,
        outage_max_pause_s=settings.notify_outage_max_pause_s,
    )


class _BackgroundTask:
    """A loop run beside the app and stopped with a grace period on shutdown."""

    def __init__(self, name: str, run: Coroutine[Any, Any, None], stop: Callable[[], None]):
        self.task = asyncio.create_task(run, name=name)
        self.stop = stop

    async def shutdown(self) -> None:
        self.stop()
        try:
            await asyncio.wait_for(self.task, STOP_GRACE_S)
        except TimeoutError:
            log.warning(
                "%s did not stop within %.0f s; cancelled", self.task.get_name(), STOP_GRACE_S
            )


def _run_beside(
    stack: contextlib.AsyncExitStack,
    name: str,
    run: Coroutine[Any, Any, None],
    stop: Callable[[], None],
) -> None:
    stack.push_async_callback(_BackgroundTask(name, run, stop).shutdown)

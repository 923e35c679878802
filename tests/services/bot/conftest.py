"""A chat with the real Application against an in-process sandbox (getUpdates, handled
with ``process_update``). api is unreachable: the user's language is cached, so the
handlers that need only that never ask it; the ones that do meet ``ServiceUnavailable``."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from telegram import Update

from concierge.bot.consumer import RetryBook
from concierge.bot.deps import BotDeps, install
from concierge.bot.feed.messages import MessageManager
from concierge.bot.flood import FloodGuard
from concierge.bot.notify.pacing import DeliveryPacing
from concierge.bot.search.sessions import SearchSessions
from concierge.bot.settings import BotSettings
from concierge.bot.taps import TapCollapser
from concierge.bot.telegram_app import TelegramApp, build_application
from concierge.bot.users import UserDirectory
from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ApiClient
from concierge.contracts.identity import Language
from concierge.contracts.market_client import MarketApiClient
from concierge.sandbox.main import create_app
from tests.services.sandbox.conftest import sandbox_settings, serve

WEBAPP = "http://127.0.0.1:8000/app/"
_users = itertools.count(730_001)


class Chat:
    """One user's private chat with the bot: they write or press, the bot handles, we read."""

    def __init__(
        self, application: TelegramApp, http: httpx.AsyncClient, deps: BotDeps, user_id: int
    ) -> None:
        self.application, self.http, self.deps, self.user_id = application, http, deps, user_id
        self.book = deps.retries

    async def another(self, language: Language | None = Language.EN) -> Chat:
        """Another user's chat with the same bot (language None: not known to the bot)."""
        user_id = next(_users)
        if language is not None:
            await self.deps.users._remember(user_id, language)  # no api in these tests
        return Chat(self.application, self.http, self.deps, user_id)

    async def send(self, text: str) -> dict[str, Any]:
        """Write, let the bot handle it, and return the bot's last message."""
        await self.write(text)
        await self.handle(await self.updates())
        replies = await self.bot_messages()
        assert replies, "the bot did not answer"
        return replies[-1]

    async def write(self, text: str, **where: int) -> dict[str, Any]:
        """Write (``chat_id``: in a group; ``reply_to_message_id``: as a reply)."""
        response = await self.http.post(
            f"/sandbox/users/{self.user_id}/messages", json={"text": text, **where}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def press(self, message_id: int, data: str) -> str:
        """Press an inline button (not yet handled); returns the callback query id."""
        response = await self.http.post(
            f"/sandbox/users/{self.user_id}/callbacks",
            json={"message_id": message_id, "data": data},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["callback_query_id"])

    async def updates(self) -> list[Update]:
        """What the bot has been sent and not yet fetched (acknowledged on the way)."""
        updates = list(await self.application.bot.get_updates(timeout=0))
        if updates:
            await self.application.bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
        return updates

    async def handle(self, updates: list[Update]) -> None:
        for update in updates:
            await self.application.process_update(update)

    async def bot_messages(self) -> list[dict[str, Any]]:
        history = (await self.http.get(f"/sandbox/chats/{self.user_id}/messages")).json()
        return [dict(message) for message in history if message["from"] == "bot"]

    async def calls(self, method: str) -> int:
        """How many times the bot has called this Bot API method."""
        stats = (await self.http.get("/sandbox/stats")).json()["bots"]
        return sum(bot["calls"].get(method, 0) for bot in stats.values())


@pytest.fixture
async def start_chat(redis: Redis) -> AsyncIterator[Any]:
    running = await serve(create_app(sandbox_settings()))
    # 30 s: on a loaded CI machine a fresh sandbox once took over 10 s to answer its first
    # call (a group created); the tests' assertions are about what the bot says, not speed.
    http = httpx.AsyncClient(base_url=running.url, timeout=30, trust_env=False)
    clients: list[ServiceClient] = []
    started: list[TelegramApp] = []

    async def start(
        language: Language = Language.EN,
        webapp_url: str | None = WEBAPP,
        tap_window_s: float = 2.0,
        api_url: str = "http://127.0.0.1:9",  # nothing listens: api is away
    ) -> Chat:
        """A chat with a bot whose Mini App buttons open ``webapp_url`` (None: none)."""
        settings = BotSettings(_env_file=None, telegram_bot_token=None, sandbox_url=running.url)  # type: ignore[call-arg]
        application = build_application(settings, DeliveryPacing.create(1000, 0, 0))
        await application.initialize()
        started.append(application)
        clients.append(ServiceClient(api_url, "unused", timeout=1, attempts=1))
        api = ApiClient(clients[-1])
        deps = BotDeps(UserDirectory(api, redis), RetryBook(), FloodGuard(redis, 100, 60), api,
                       SearchSessions(redis), TapCollapser(redis, tap_window_s),
                       MarketApiClient(clients[-1]), webapp_url=webapp_url,
                       messages=MessageManager(redis))  # fmt: skip
        install(application, deps)
        user_id = next(_users)
        await deps.users._remember(user_id, language)  # no api in these tests
        return Chat(application, http, deps, user_id)

    yield start
    for application in started:
        await application.shutdown()
    for client in clients:
        await client.aclose()
    await http.aclose()
    await running.stop()

"""/sell, the menu's Mini App buttons and /help, handled by the real Application against
an in-process sandbox (the user's language is cached, so api is never asked)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from telegram import Chat as TelegramChat
from telegram.constants import ChatType

from concierge.bot.consumer import RetryBook
from concierge.bot.deps import BotDeps, install
from concierge.bot.flood import FloodGuard
from concierge.bot.market.webapp import webapp_link, webapp_url_for
from concierge.bot.notify.pacing import DeliveryPacing
from concierge.bot.search.sessions import SearchSessions
from concierge.bot.settings import BotSettings
from concierge.bot.taps import TapCollapser
from concierge.bot.telegram_app import TelegramApp, build_application
from concierge.bot.users import UserDirectory
from concierge.common.http_client import ServiceClient
from concierge.contracts.api_client import ApiClient
from concierge.contracts.identity import Language
from concierge.sandbox.main import create_app
from tests.services.sandbox.conftest import sandbox_settings, serve

WEBAPP = "http://127.0.0.1:8000/app/"
_users = itertools.count(730_001)


class Chat:
    """One user's private chat with the bot: they write, the bot handles, we read."""

    def __init__(self, application: TelegramApp, http: httpx.AsyncClient, user_id: int) -> None:
        self.application, self.http, self.user_id = application, http, user_id

    async def send(self, text: str) -> dict[str, Any]:
        response = await self.http.post(
            f"/sandbox/users/{self.user_id}/messages", json={"text": text}
        )
        assert response.status_code == 200, response.text
        offset = None
        for update in await self.application.bot.get_updates(timeout=0):
            await self.application.process_update(update)
            offset = update.update_id + 1
        await self.application.bot.get_updates(offset=offset, timeout=0)  # acknowledge
        history = (await self.http.get(f"/sandbox/chats/{self.user_id}/messages")).json()
        replies = [message for message in history if message["from"] == "bot"]
        assert replies, "the bot did not answer"
        return dict(replies[-1])


def web_apps(message: dict[str, Any]) -> dict[str, str]:
    """The message's web_app buttons: text → URL."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["web_app"]["url"] for row in rows for b in row if "web_app" in b}


@pytest.fixture
async def start_chat(redis: Redis) -> AsyncIterator[Any]:
    running = await serve(create_app(sandbox_settings()))
    http = httpx.AsyncClient(base_url=running.url, timeout=10, trust_env=False)
    api_http = ServiceClient("http://127.0.0.1:9", "unused", timeout=1, attempts=1)
    started: list[TelegramApp] = []

    async def start(language: Language = Language.EN, webapp_url: str | None = WEBAPP) -> Chat:
        """A chat with a bot whose Mini App buttons open ``webapp_url`` (None: none)."""
        settings = BotSettings(_env_file=None, telegram_bot_token=None, sandbox_url=running.url)  # type: ignore[call-arg]
        application = build_application(settings, DeliveryPacing.create(1000, 0, 0))
        await application.initialize()
        started.append(application)
        api = ApiClient(api_http)
        users = UserDirectory(api, redis)
        install(
            application,
            BotDeps(users, RetryBook(), FloodGuard(redis, 100, 60), api, SearchSessions(redis),
                    TapCollapser(redis, 2), webapp_url=webapp_url),
        )  # fmt: skip
        user_id = next(_users)
        await users._remember(user_id, language)  # no api in these tests
        return Chat(application, http, user_id)

    yield start
    for application in started:
        await application.shutdown()
    await api_http.aclose()
    await http.aclose()
    await running.stop()


class TestSell:
    async def test_opens_the_mini_app_on_a_new_listing(self, start_chat: Any) -> None:
        chat = await start_chat()
        reply = await chat.send("/sell")
        assert "Sell something" in reply["text"]
        assert web_apps(reply) == {
            "🛍 Sell": f"{WEBAPP}?startapp=new",
            "📋 My listings": f"{WEBAPP}?startapp=mine",
        }

    async def test_speaks_the_users_language(self, start_chat: Any) -> None:
        chat = await start_chat(Language.RU)
        reply = await chat.send("/sell")
        assert "Продать вещь" in reply["text"]
        assert set(web_apps(reply)) == {"🛍 Продать", "📋 Мои объявления"}

    async def test_without_a_mini_app_it_says_so(self, start_chat: Any) -> None:
        """A real token with an http:// address: Telegram would refuse the buttons."""
        chat = await start_chat(webapp_url=None)
        reply = await chat.send("/sell")
        assert "Mini App is not set up" in reply["text"]
        assert web_apps(reply) == {}
        menu = await chat.send("/menu")
        assert web_apps(menu) == {}


class TestMenu:
    async def test_the_menu_opens_the_mini_app_next_to_its_callback_buttons(
        self, start_chat: Any
    ) -> None:
        chat = await start_chat()
        reply = await chat.send("/menu")
        rows = reply["reply_markup"]["inline_keyboard"]
        assert [b.get("callback_data") for row in rows for b in row if "callback_data" in b] == [
            "menu:search", "lang:set:ru", "menu:help"
        ]  # fmt: skip
        assert web_apps(reply) == {
            "🛍 Sell": f"{WEBAPP}?startapp=new",
            "📋 My listings": f"{WEBAPP}?startapp=mine",
        }

    async def test_help_mentions_sell(self, start_chat: Any) -> None:
        chat = await start_chat()
        assert "/sell" in (await chat.send("/help"))["text"]


class TestWebAppLinks:
    @pytest.mark.parametrize(
        ("base", "expected"),
        [
            ("https://x.test/app/", "https://x.test/app/?startapp=listing_7"),
            ("https://x.test/app/?v=2", "https://x.test/app/?v=2&startapp=listing_7"),
        ],
    )
    def test_the_start_page_joins_the_address(self, base: str, expected: str) -> None:
        assert webapp_link(base, "listing_7") == expected

    def test_only_private_chats_get_web_app_buttons(self) -> None:
        assert webapp_url_for(TelegramChat(1, ChatType.PRIVATE), WEBAPP) == WEBAPP
        for kind in (ChatType.GROUP, ChatType.SUPERGROUP, ChatType.CHANNEL):
            assert webapp_url_for(TelegramChat(-1, kind), WEBAPP) is None
        assert webapp_url_for(None, WEBAPP) is None
        assert webapp_url_for(TelegramChat(1, ChatType.PRIVATE), None) is None

    @pytest.mark.parametrize(
        ("token", "url", "expected"),
        [
            (None, "http://127.0.0.1:8000/app/", "http://127.0.0.1:8000/app/"),  # sandbox
            ("1:real", "http://127.0.0.1:8000/app/", None),
            ("1:real", "https://bot.example/app/", "https://bot.example/app/"),
        ],
    )
    def test_buttons_need_https_with_a_real_telegram(
        self, token: str | None, url: str, expected: str | None
    ) -> None:
        settings = BotSettings(_env_file=None, telegram_bot_token=token, webapp_url=url)  # type: ignore[call-arg]
        assert settings.webapp_buttons_url == expected

    def test_webapp_url_is_the_shared_setting(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WEBAPP_URL", "https://shared.example/app/")
        assert BotSettings(_env_file=None).webapp_url == "https://shared.example/app/"  # type: ignore[call-arg]

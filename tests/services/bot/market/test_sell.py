"""/sell, the menu's Mini App buttons and /help, handled by the real Application against
an in-process sandbox (the user's language is cached, so api is never asked; the chat
harness is in ../conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Chat as TelegramChat
from telegram.constants import ChatType

from concierge.bot.market.webapp import webapp_link, webapp_url_for
from concierge.bot.settings import BotSettings
from concierge.contracts.identity import Language
from tests.services.bot.conftest import WEBAPP


def web_apps(message: dict[str, Any]) -> dict[str, str]:
    """The message's web_app buttons: text → URL."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["web_app"]["url"] for row in rows for b in row if "web_app" in b}


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

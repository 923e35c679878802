"""A Telegram user talks to the bot through the sandbox; everything real behind it."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.sandbox import SandboxUser, button_data
from tests.support.stack import Stack

MENU_BUTTONS = ["menu:search", "lang:set:ru", "menu:help"]


async def stored_user(db: AsyncEngine, telegram_id: int) -> dict | None:
    async with db.connect() as conn:
        row = (
            (
                await conn.execute(
                    text("SELECT * FROM users WHERE telegram_id = :id"), {"id": telegram_id}
                )
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


async def count_rows(db: AsyncEngine, sql: str, **params: object) -> int:
    async with db.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar_one())


class TestStart:
    async def test_registers_the_user_and_shows_the_menu(
        self, user: SandboxUser, e2e_db: AsyncEngine
    ) -> None:
        await user.send("/start", username="new_user", language_code="en")
        welcome = await user.wait_for_reply()
        assert f"Hello, User{user.id}" in welcome["text"]
        assert button_data(welcome) == MENU_BUTTONS
        record = await stored_user(e2e_db, user.id)
        assert record is not None
        assert record["status"] == "onboarding"
        assert record["username"] == "new_user"

    async def test_a_second_start_duplicates_nothing(
        self, user: SandboxUser, e2e_db: AsyncEngine
    ) -> None:
        await user.send("/start")
        await user.wait_for_reply(1)
        await user.send("/start")
        await user.wait_for_reply(2)
        assert await count_rows(e2e_db, "SELECT count(*) FROM users WHERE telegram_id = :id",
                                id=user.id) == 1  # fmt: skip
        registrations = await count_rows(
            e2e_db,
            "SELECT count(*) FROM user_logs l JOIN users u ON u.id = l.user_id "
            "WHERE u.telegram_id = :id AND l.action = 'registered'",
            id=user.id,
        )
        assert registrations == 1
        assert (await stored_user(e2e_db, user.id) or {})["status"] == "onboarding"

    async def test_russian_speakers_are_greeted_in_russian(self, user: SandboxUser) -> None:
        await user.send("/start", language_code="ru")
        welcome = await user.wait_for_reply()
        assert "Здравствуйте" in welcome["text"]
        assert button_data(welcome) == ["menu:search", "lang:set:en", "menu:help"]


class TestMenu:
    async def test_the_chat_menu_button_opens_the_mini_app(self, user: SandboxUser) -> None:
        await user.send("/start", language_code="en")
        await user.wait_for_reply()
        chat = (await user.http.get(f"/sandbox/chats/{user.id}")).json()
        button = chat["menu_button"]
        assert button["type"] == "web_app"
        assert button["web_app"]["url"].endswith("/app/")

    async def test_help_button_edits_the_menu_in_place(self, user: SandboxUser) -> None:
        await user.send("/start", language_code="en")
        menu = await user.wait_for_reply()
        pressed = await user.press(menu["message_id"], "menu:help")
        messages = await user.wait_for(lambda ms: "Help" in ms[-1]["text"])
        assert len(messages) == 1
        assert messages[0]["message_id"] == menu["message_id"]
        assert messages[0]["edit_date"] is not None
        assert await callback_answered(user, pressed)

        await user.press(menu["message_id"], "menu:home")
        await user.wait_for(lambda ms: "Main menu" in ms[-1]["text"])

    async def test_language_switch_is_stored_and_used(
        self, user: SandboxUser, e2e_db: AsyncEngine
    ) -> None:
        await user.send("/start", language_code="en")
        menu = await user.wait_for_reply()
        await user.press(menu["message_id"], "lang:set:ru")
        messages = await user.wait_for(lambda ms: "Главное меню" in ms[-1]["text"])
        assert messages[-1]["message_id"] == menu["message_id"]
        assert (await stored_user(e2e_db, user.id) or {})["language"] == "ru"
        await user.send("/help")
        reply = await user.wait_for_reply(2)
        assert "Помощь" in reply["text"]

    async def test_language_command_offers_both(self, user: SandboxUser) -> None:
        await user.send("/start")
        await user.wait_for_reply(1)
        await user.send("/language")
        picker = await user.wait_for_reply(2)
        assert button_data(picker) == ["lang:set:ru", "lang:set:en"]

    async def test_menu_command(self, user: SandboxUser) -> None:
        await user.send("/menu", language_code="en")
        reply = await user.wait_for_reply()
        assert "Main menu" in reply["text"]
        assert button_data(reply) == MENU_BUTTONS


class TestUnknownInput:
    async def test_unknown_command_gets_help(self, user: SandboxUser) -> None:
        await user.send("/frobnicate now", language_code="en")
        reply = await user.wait_for_reply()
        assert "/frobnicate" in reply["text"]
        assert button_data(reply) == MENU_BUTTONS

    async def test_a_greeting_gets_a_friendly_answer(self, user: SandboxUser) -> None:
        await user.send("hello there", language_code="en")
        reply = await user.wait_for_reply()
        assert "Hello!" in reply["text"]
        assert button_data(reply) == MENU_BUTTONS

    async def test_markup_in_names_is_escaped(self, user: SandboxUser) -> None:
        user.first_name = "<b>Mallory</b> & co"
        await user.send("/start", language_code="en")
        welcome = await user.wait_for_reply()
        assert "<b>Mallory</b> & co" in welcome["text"]


class TestCommands:
    async def test_commands_are_published_in_both_languages(self, stack: Stack) -> None:
        from concierge.bot.settings import SANDBOX_BOT_TOKEN

        base = f"{stack.url('sandbox')}/bot{SANDBOX_BOT_TOKEN}"
        async with httpx.AsyncClient() as http:
            default = (await http.post(f"{base}/getMyCommands", json={})).json()["result"]
            russian = (
                await http.post(f"{base}/getMyCommands", json={"language_code": "ru"})
            ).json()["result"]
        assert [c["command"] for c in default] == [
            "start",
            "menu",
            "search",
            "ask",
            "sell",
            "watch",
            "watches",
            "unwatch",
            "watchsettings",
            "feed",
            "avito_connect",
            "calendar",
            "close_dates",
            "open_dates",
            "mcp_token",
            "house_rules",
            "faq",
            "guest_mode",
            "media",
            "help",
            "language",
        ]
        assert russian[0]["description"] == "Начать сначала и показать меню"


async def callback_answered(user: SandboxUser, pressed: dict) -> bool:
    query_id = pressed.get("callback_query_id") or pressed.get("id")
    for _ in range(50):
        response = await user.http.get(f"/sandbox/callbacks/{query_id}")
        if response.status_code == 200 and response.json().get("answered"):
            return True
        await asyncio.sleep(0.1)
    return False


class TestNulInMessages:
    """A message holding NUL (a real one, or the six characters ``\\u0000`` typed) is
    stored by the webhook like any update and answered; it never stalls the chat."""

    async def test_a_typed_escape_is_plain_text(self, user: SandboxUser) -> None:
        await user.send("\\u0000 bike", language_code="en")
        reply = await user.wait_for_reply(timeout_s=20)
        assert "Something went wrong" not in reply["text"]
        await user.send("/help")
        assert "/search" in (await user.wait_for_reply(2, timeout_s=20))["text"]

    @pytest.mark.parametrize("message", ["bike\x00", "/search bike\x00", "what is\x00 this?"])
    async def test_a_real_nul_is_left_out_and_the_rest_answered(
        self, user: SandboxUser, message: str
    ) -> None:
        await user.send(message, language_code="en")
        reply = await user.wait_for_reply(timeout_s=20)
        assert "Something went wrong" not in reply["text"]
        assert "can't search for that" not in reply["text"]
        await user.send("/help")
        assert "/search" in (await user.wait_for_reply(2, timeout_s=20))["text"]

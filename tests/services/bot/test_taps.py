"""Double taps: "message is not modified" is success, repeated presses of one button are
handled once, and a press is never answered by a handler (the consumer answers it on
reading, see test_consumer.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis
from telegram.error import BadRequest

from concierge.bot.edits import is_not_modified
from concierge.bot.taps import TapCollapser

APOLOGY = "Something went wrong"
# What the sandbox (and Telegram) says, as python-telegram-bot raises it.
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class TestNotModified:
    def test_telegrams_answer_is_recognised_as_python_telegram_bot_raises_it(self) -> None:
        error = BadRequest(NOT_MODIFIED)
        assert error.message.startswith("Message is not modified")  # capitalised
        assert is_not_modified(error)

    def test_other_errors_are_not(self) -> None:
        assert not is_not_modified(BadRequest("Bad Request: message to edit not found"))
        assert not is_not_modified(ValueError("message is not modified"))
        assert not is_not_modified(None)


class TestDoubleTap:
    async def test_a_second_press_that_changes_nothing_is_success(self, start_chat: Any) -> None:
        chat = await start_chat(tap_window_s=0.1)
        menu = await chat.send("/menu")
        await chat.press(menu["message_id"], "menu:help")
        await chat.press(menu["message_id"], "menu:help")
        first, second = await chat.updates()
        await chat.handle([first])
        await asyncio.sleep(0.2)  # past the tap window: the second press edits again
        await chat.handle([second])

        assert await chat.calls("editMessageText") == 2  # the second: "not modified"
        messages = await chat.bot_messages()
        assert [m["message_id"] for m in messages] == [menu["message_id"]]  # no apology
        assert "Help" in messages[0]["text"]
        assert chat.book.failed == set()
        assert chat.book.retry_after == {}

    async def test_presses_within_the_window_are_handled_once(self, start_chat: Any) -> None:
        chat = await start_chat(tap_window_s=5)
        menu = await chat.send("/menu")
        for _ in range(5):
            await chat.press(menu["message_id"], "menu:help")
        await chat.handle(await chat.updates())
        assert await chat.calls("editMessageText") == 1
        assert len(await chat.bot_messages()) == 1

    async def test_a_press_on_the_changed_message_is_a_new_press(self, start_chat: Any) -> None:
        chat = await start_chat(tap_window_s=5)
        menu = await chat.send("/menu")
        await chat.press(menu["message_id"], "menu:help")
        await chat.handle(await chat.updates())
        await chat.press(menu["message_id"], "menu:home")  # the help page's button
        await chat.handle(await chat.updates())
        await asyncio.sleep(1.1)  # Telegram's limit: about one message a second per chat
        await chat.press(menu["message_id"], "menu:help")  # the menu again: not a repeat
        await chat.handle(await chat.updates())
        assert await chat.calls("editMessageText") == 3
        assert "Help" in (await chat.bot_messages())[0]["text"]

    async def test_handlers_never_answer_the_press(self, start_chat: Any) -> None:
        chat = await start_chat()
        menu = await chat.send("/menu")
        query_id = await chat.press(menu["message_id"], "lang:set:ru")
        await chat.handle(await chat.updates())
        assert await chat.calls("answerCallbackQuery") == 0
        status = (await chat.http.get(f"/sandbox/callbacks/{query_id}")).json()
        assert status["answered"] is False


class TestTapCollapser:
    async def test_a_retry_of_the_first_press_is_not_a_repeat(
        self, start_chat: Any, redis: Redis
    ) -> None:
        chat = await start_chat()
        menu = await chat.send("/menu")
        await chat.press(menu["message_id"], "menu:help")
        await chat.press(menu["message_id"], "menu:help")
        first, second = await chat.updates()
        assert first.callback_query is not None
        assert second.callback_query is not None
        taps = TapCollapser(redis, 5)
        assert not await taps.is_repeat(first.callback_query, first.update_id)
        assert not await taps.is_repeat(first.callback_query, first.update_id)  # retried
        assert await taps.is_repeat(second.callback_query, second.update_id)

    async def test_the_window_starts_again_when_the_first_press_is_done(
        self, start_chat: Any, redis: Redis
    ) -> None:
        chat = await start_chat()
        menu = await chat.send("/menu")
        await chat.press(menu["message_id"], "menu:search")
        await chat.press(menu["message_id"], "menu:search")
        first, second = await chat.updates()
        assert first.callback_query is not None
        assert second.callback_query is not None
        taps = TapCollapser(redis, 0.3)
        assert not await taps.is_repeat(first.callback_query, first.update_id)
        await asyncio.sleep(0.2)
        await taps.handled(first.callback_query)  # a slow first press ends now
        await asyncio.sleep(0.2)
        assert await taps.is_repeat(second.callback_query, second.update_id)
        await asyncio.sleep(0.4)
        assert not await taps.is_repeat(second.callback_query, second.update_id)

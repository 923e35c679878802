"""The bot in a group: it answers what is addressed to it (commands, mentions, replies to
its own messages) and stays out of people's talk, whether the sandbox's privacy mode
(Telegram's default) keeps that talk from it or, switched off, delivers all of it."""

from __future__ import annotations

from typing import Any

import pytest

from concierge.contracts.identity import Language

GROUP = -100_555_001
CHATTER = "всем привет, кто сдаёт квартиру?"


async def group_chat(start_chat: Any, privacy: bool) -> Any:
    chat = await start_chat(Language.RU)
    await chat.http.post("/sandbox/groups", json={"chat_id": GROUP, "title": "Квартиры"})
    bot = chat.application.bot
    await chat.http.post(f"/sandbox/bots/{bot.id}/privacy", json={"enabled": privacy})
    return chat


async def bot_says_in_group(chat: Any) -> list[str]:
    history = (await chat.http.get(f"/sandbox/chats/{GROUP}/messages")).json()
    return [m["text"] for m in history if m["from"] == "bot"]


async def say(chat: Any, text: str, **where: int) -> int:
    """The user writes in the group; the bot handles what it was sent. Returns how many
    updates the bot got."""
    await chat.write(text, chat_id=GROUP, **where)
    updates = await chat.updates()
    await chat.handle(updates)
    return len(updates)


@pytest.mark.parametrize("privacy", [True, False], ids=["privacy on", "privacy off"])
class TestInAGroup:
    async def test_people_talking_to_each_other_get_no_answer(
        self, start_chat: Any, privacy: bool
    ) -> None:
        chat = await group_chat(start_chat, privacy)
        delivered = await say(chat, CHATTER)
        assert delivered == (0 if privacy else 1)
        assert await say(chat, "/help@someone_elses_bot") == (0 if privacy else 1)
        assert await bot_says_in_group(chat) == []

    async def test_a_mention_is_answered_without_the_mention(
        self, start_chat: Any, privacy: bool
    ) -> None:
        chat = await group_chat(start_chat, privacy)
        username = chat.application.bot.username
        assert await say(chat, f"@{username} спасибо!") == 1
        (answer,) = await bot_says_in_group(chat)
        assert answer.startswith("😊 Пожалуйста")

    async def test_a_reply_to_the_bot_is_answered(self, start_chat: Any, privacy: bool) -> None:
        chat = await group_chat(start_chat, privacy)
        sent = await chat.application.bot.send_message(GROUP, "Чем помочь?")
        assert await say(chat, "спасибо", reply_to_message_id=sent.message_id) == 1
        assert (await bot_says_in_group(chat))[-1].startswith("😊 Пожалуйста")

    @pytest.mark.parametrize("command", ["/help", "/help@{bot}"])
    async def test_commands_bare_or_named_for_it_are_answered(
        self, start_chat: Any, privacy: bool, command: str
    ) -> None:
        chat = await group_chat(start_chat, privacy)
        assert await say(chat, command.format(bot=chat.application.bot.username)) == 1
        (answer,) = await bot_says_in_group(chat)
        assert "/search" in answer

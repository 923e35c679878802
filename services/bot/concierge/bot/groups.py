"""Group chats: the bot speaks only when spoken to.

In a group the bot answers commands addressed to it (``/search@bot``, or a bare
``/search``), messages that mention it (``@bot ищу велосипед``) and replies to its own
messages; everything else is people talking to each other, and the bot stays silent,
whether Telegram delivered it or not (privacy mode, on by default for bots, delivers
only commands, mentions and replies; with it off, every message arrives). What is
addressed to it is read as in a private chat, minus the mention.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Bot, Message, MessageEntity, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from concierge.bot.search import handlers as search
from concierge.contracts.text import strip_control_characters


def mentions(message: Message, bot: Bot) -> list[MessageEntity]:
    """The entities of the message that mention this bot (by @username or by id)."""
    username = f"@{bot.username}".lower() if bot.username else None
    found = []
    for entity in message.entities or ():
        if entity.type == MessageEntity.MENTION and username:
            if message.parse_entity(entity).lower() == username:
                found.append(entity)
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            found.append(entity)
    return found


def addressed_text(message: Message, bot: Bot) -> str | None:
    """What the message says to the bot (without the mention), or None when it is not
    for the bot at all."""
    body = message.text or ""
    mentioned = mentions(message, bot)
    if mentioned:
        for entity in sorted(mentioned, key=lambda e: e.offset, reverse=True):
            start = len(body.encode("utf-16-le")[: entity.offset * 2].decode("utf-16-le"))
            end = start + len(message.parse_entity(entity))
            body = body[:start] + " " + body[end:]
        return re.sub(r"^[\s,:;!.-]+", "", body).strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return body
    return None


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    addressed = addressed_text(message, context.bot)
    if addressed is None:
        return  # people talking to each other
    await search.answer_text(update, context, strip_control_characters(addressed))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, group_text)
    )

"""Privacy mode: what a bot hears of a group's talk.

Telegram's default for bots (BotFather's /setprivacy, "Enable"): in a group the bot is
sent only commands (a bare ``/search``, or one naming it: ``/search@this_bot``, never
``/search@other_bot``), messages that mention it (``@this_bot``) and replies to its own
messages; everything else stays between the people. With privacy mode off the bot is
sent every message. The sandbox keeps the setting per bot, changed through
``POST /sandbox/bots/{bot_id}/privacy``, and ``getMe`` says it
(``can_read_all_group_messages``). Private chats are not affected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from concierge.sandbox.telegram.models import ChatRecord, StoredMessage
from concierge.sandbox.telegram.text import Entity

if TYPE_CHECKING:
    from concierge.sandbox.telegram.bots import BotState


def entity_text(text: str, entity: Entity) -> str:
    """The part of ``text`` an entity covers (entity offsets count UTF-16 code units)."""
    units = text.encode("utf-16-le")
    return units[entity.offset * 2 : (entity.offset + entity.length) * 2].decode("utf-16-le")


def _is_for_this_bot(command: str, username: str) -> bool:
    _, at, target = command.partition("@")
    return not at or target.lower() == username.lower()


def _addresses(bot: BotState, text: str, entity: Entity) -> bool:
    if entity.type == "bot_command" and entity.offset == 0:
        return _is_for_this_bot(entity_text(text, entity), bot.username)
    if entity.type == "mention":
        return entity_text(text, entity)[1:].lower() == bot.username.lower()
    return entity.type == "text_mention" and entity.user_id == bot.id


def _replies_to_bot(chat: ChatRecord, message: StoredMessage) -> bool:
    replied = chat.messages.get(message.reply_to_message_id or 0)
    return replied is not None and replied.from_bot


def bot_hears(bot: BotState, chat: ChatRecord, message: StoredMessage) -> bool:
    """Whether a user's message in this chat is sent to the bot."""
    if chat.type == "private" or not bot.privacy_mode:
        return True
    text = message.text or message.caption or ""
    entities = message.entities or message.caption_entities
    return _replies_to_bot(chat, message) or any(_addresses(bot, text, e) for e in entities)

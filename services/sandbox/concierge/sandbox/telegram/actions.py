"""What a Telegram user can do to a bot: write, press a button, send Mini App data, block it.

Each action changes the chat as a Telegram client would and queues the update
the bot would receive.
"""

from __future__ import annotations

import time

from concierge.common.errors import BadRequest, Conflict, Invalid, NotFound
from concierge.sandbox.telegram.bots import BotState, UserProfile
from concierge.sandbox.telegram.keyboards import has_callback_button
from concierge.sandbox.telegram.models import (
    CallbackRecord,
    ChatRecord,
    StoredMessage,
    Update,
    UserRecord,
)
from concierge.sandbox.telegram.privacy import bot_hears
from concierge.sandbox.telegram.shapes import bot_user_json, chat_json, message_json, user_json
from concierge.sandbox.telegram.text import detect_entities


def _known_user(bot: BotState, user_id: int) -> UserRecord:
    user = bot.users.get(user_id)
    if user is None:
        raise BadRequest(f"User {user_id} has never talked to the bot")
    return user


def _chat_of(bot: BotState, user_id: int, chat_id: int | None) -> ChatRecord:
    chat = bot.chats.get(chat_id if chat_id is not None else user_id)
    if chat is None:
        raise NotFound(f"No chat {chat_id}")
    if chat.type == "private" and chat.id != user_id:
        raise BadRequest(f"Chat {chat.id} is another user's private chat")
    return chat


def send_text(
    bot: BotState,
    user_id: int,
    profile: UserProfile,
    text: str,
    *,
    chat_id: int | None = None,
    reply_to_message_id: int | None = None,
) -> tuple[StoredMessage, Update | None]:
    """The user writes ``text`` to the bot (in their private chat unless ``chat_id``)."""
    if user_id <= 0:
        raise Invalid("A user id is a positive number")
    user = bot.remember_user(user_id, profile)
    chat = _chat_of(bot, user_id, chat_id)
    if chat.type == "private" and user.blocked:
        set_blocked(bot, user_id, blocked=False)  # writing to a blocked bot restarts it
    reply_to = reply_to_message_id if reply_to_message_id in chat.messages else None
    message = bot.add_message(
        chat,
        from_bot=False,
        sender_id=user_id,
        text=text,
        entities=detect_entities(text),
        reply_to_message_id=reply_to,
    )
    if not bot_hears(bot, chat, message):
        return message, None  # privacy mode: people talking to each other
    return message, bot.enqueue("message", chat.id, message_json(bot, chat, message))


def send_web_app_data(
    bot: BotState, user_id: int, data: str, button_text: str
) -> tuple[StoredMessage, Update | None]:
    """A Mini App opened from a reply keyboard button calls ``Telegram.WebApp.sendData``."""
    _known_user(bot, user_id)
    chat = _chat_of(bot, user_id, None)
    message = bot.add_message(
        chat,
        from_bot=False,
        sender_id=user_id,
        web_app_data={"data": data, "button_text": button_text},
    )
    return message, bot.enqueue("message", chat.id, message_json(bot, chat, message))


def press_button(
    bot: BotState, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
) -> tuple[CallbackRecord, Update | None]:
    """The user presses an inline button; only a button that exists can be pressed."""
    user = _known_user(bot, user_id)
    chat = _chat_of(bot, user_id, chat_id)
    if chat.type == "private" and user.blocked:
        raise Conflict(f"User {user_id} has blocked the bot")
    message = chat.messages.get(message_id)
    if message is None or not message.from_bot:
        raise BadRequest(f"No bot message {message_id} in chat {chat.id}")
    if not has_callback_button(message.reply_markup, data):
        raise BadRequest(f"Message {message_id} has no inline button with this callback_data")
    record = CallbackRecord(
        bot.new_callback_id(), user_id, chat.id, message_id, data, time.monotonic()
    )
    bot.callbacks[record.id] = record
    payload = {
        "id": record.id,
        "from": user_json(user),
        "message": message_json(bot, chat, message),
        "chat_instance": chat_instance(bot, chat),
        "data": data,
    }
    return record, bot.enqueue("callback_query", chat.id, payload)


def chat_instance(bot: BotState, chat: ChatRecord) -> str:
    return str((bot.id * 1_000_003 + chat.id) % 9_000_000_000_000_000_000)


def set_blocked(bot: BotState, user_id: int, *, blocked: bool) -> Update | None:
    """Block or unblock the bot; the bot hears of it through ``my_chat_member``."""
    user = bot.users.get(user_id)
    if user is None:
        raise NotFound(f"User {user_id} has never talked to the bot")
    if user.blocked == blocked:
        return None
    user.blocked = blocked
    member = {"user": bot_user_json(bot), "status": "member"}
    kicked = {"user": bot_user_json(bot), "status": "kicked", "until_date": 0}
    payload = {
        "chat": chat_json(bot, bot.chats[user_id]),
        "from": user_json(user),
        "date": int(time.time()),
        "old_chat_member": member if blocked else kicked,
        "new_chat_member": kicked if blocked else member,
    }
    return bot.enqueue("my_chat_member", user_id, payload)


def create_users(bot: BotState, ids: list[int], profile: UserProfile) -> int:
    """Users who started the bot earlier, without any update (for broadcasts)."""
    if any(user_id <= 0 for user_id in ids):
        raise Invalid("User ids are positive numbers")
    created = sum(1 for user_id in ids if user_id not in bot.users)
    for user_id in ids:
        bot.remember_user(user_id, profile)
    return created


def set_privacy_mode(bot: BotState, enabled: bool) -> None:
    """BotFather's /setprivacy for this bot."""
    bot.privacy_mode = enabled


def create_group(bot: BotState, chat_id: int, title: str) -> ChatRecord:
    if chat_id >= 0:
        raise Invalid("A group chat id is negative")
    return bot.create_group(chat_id, title)

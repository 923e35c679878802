"""The Bot API's JSON objects (User, Chat, Message...) and the chat history's rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from concierge.sandbox.telegram.keyboards import is_inline
from concierge.sandbox.telegram.models import ChatRecord, StoredMessage, UserRecord

if TYPE_CHECKING:
    from concierge.sandbox.telegram.bots import BotState


def bot_user_json(bot: BotState) -> dict[str, Any]:
    return {"id": bot.id, "is_bot": True, "first_name": bot.first_name, "username": bot.username}


def me_json(bot: BotState) -> dict[str, Any]:
    return {
        **bot_user_json(bot),
        "can_join_groups": True,
        "can_read_all_group_messages": not bot.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def user_json(user: UserRecord) -> dict[str, Any]:
    body: dict[str, Any] = {"id": user.id, "is_bot": False, "first_name": user.first_name}
    for name in ("last_name", "username", "language_code"):
        value = getattr(user, name)
        if value:
            body[name] = value
    return body


def chat_json(bot: BotState, chat: ChatRecord) -> dict[str, Any]:
    if chat.type != "private":
        return {"id": chat.id, "title": chat.title or "", "type": chat.type}
    user = bot.users[chat.id]
    body: dict[str, Any] = {"id": chat.id, "first_name": user.first_name}
    if user.last_name:
        body["last_name"] = user.last_name
    if user.username:
        body["username"] = user.username
    body["type"] = "private"
    return body


def sender_json(bot: BotState, message: StoredMessage) -> dict[str, Any]:
    if message.from_bot:
        return bot_user_json(bot)
    return user_json(bot.users[message.sender_id])


def message_json(
    bot: BotState, chat: ChatRecord, message: StoredMessage, *, with_reply: bool = True
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": message.message_id,
        "from": sender_json(bot, message),
        "chat": chat_json(bot, chat),
        "date": message.date,
    }
    if message.edit_date is not None:
        body["edit_date"] = message.edit_date
    replied = chat.messages.get(message.reply_to_message_id or 0)
    if with_reply and replied is not None:
        body["reply_to_message"] = message_json(bot, chat, replied, with_reply=False)
    if message.protected:
        body["has_protected_content"] = True
    body.update(_content_json(message))
    if is_inline(message.reply_markup):
        body["reply_markup"] = message.reply_markup
    return body


def _content_json(message: StoredMessage) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if message.text is not None:
        body["text"] = message.text
        if message.entities:
            body["entities"] = [entity.to_json() for entity in message.entities]
    if message.photo is not None:
        body["photo"] = message.photo
        if message.caption:
            body["caption"] = message.caption
        if message.caption_entities:
            body["caption_entities"] = [entity.to_json() for entity in message.caption_entities]
    if message.web_app_data is not None:
        body["web_app_data"] = message.web_app_data
    return body


def history_json(bot: BotState, message: StoredMessage) -> dict[str, Any]:
    """One row of ``GET /sandbox/chats/{chat_id}/messages``."""
    return {
        "message_id": message.message_id,
        "from": "bot" if message.from_bot else "user",
        "text": message.text,
        "reply_markup": message.reply_markup,
        "date": message.date,
        "edit_date": message.edit_date,
        "user_id": None if message.from_bot else message.sender_id,
        "entities": [entity.to_json() for entity in message.entities],
        "parse_mode": message.parse_mode,
        "photo": message.photo,
        "photo_url": _photo_url(bot, message),
        "caption": message.caption,
        "caption_entities": [entity.to_json() for entity in message.caption_entities],
        "reply_to_message_id": message.reply_to_message_id,
        "web_app_data": message.web_app_data,
    }


def _photo_url(bot: BotState, message: StoredMessage) -> str | None:
    if not message.photo:
        return None
    record = bot.files.get(message.photo[-1]["file_id"])
    if record is None:
        return None
    if record.content is None:
        return record.source_url
    return f"/sandbox/bots/{bot.id}/files/{record.file_id}"

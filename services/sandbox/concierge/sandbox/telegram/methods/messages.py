"""sendMessage, the edits, deleteMessage, sendChatAction and sendMessageDraft."""

from __future__ import annotations

import time
from typing import Any

from concierge.sandbox.telegram.errors import (
    DELETE_NOT_FOUND,
    NOT_MODIFIED,
    bad_request,
)
from concierge.sandbox.telegram.keyboards import Markup, is_inline, require_inline
from concierge.sandbox.telegram.methods.common import (
    chat_id_param,
    message_to_edit,
    read_caption,
    read_message_text,
    read_reply_markup,
    read_reply_target,
)
from concierge.sandbox.telegram.methods.context import BotCall, Handler
from concierge.sandbox.telegram.models import Draft, StoredMessage
from concierge.sandbox.telegram.shapes import message_json

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip


async def send_message(call: BotCall) -> dict[str, Any]:
    bot = call.bot
    chat = bot.chat_to_write(chat_id_param(call))
    formatted = read_message_text(call)
    markup = read_reply_markup(call)
    reply_to = read_reply_target(call, chat)
    bot.take_send_slot(chat.id)
    message = bot.add_message(
        chat,
        from_bot=True,
        sender_id=bot.id,
        text=formatted.text,
        entities=formatted.entities,
        parse_mode=call.params.text("parse_mode") or None,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        protected=call.params.boolean("protect_content"),
    )
    bot.stats.record_send(chat.id)
    return message_json(bot, chat, message)


def _inline_markup(message: StoredMessage) -> Markup | None:
    return message.reply_markup if is_inline(message.reply_markup) else None


def _apply_markup(message: StoredMessage, markup: Markup | None) -> None:
    """An edit replaces the inline keyboard (dropping it when none is given)."""
    if markup is not None or is_inline(message.reply_markup):
        message.reply_markup = markup


async def edit_message_text(call: BotCall) -> dict[str, Any]:
    chat, message = message_to_edit(call)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    formatted = read_message_text(call)
    markup = require_inline(read_reply_markup(call))
    unchanged = (formatted.text, formatted.entities) == (message.text, message.entities)
    if unchanged and markup == _inline_markup(message):
        raise bad_request(NOT_MODIFIED)
    call.bot.take_send_slot(chat.id)
    message.text, message.entities = formatted.text, formatted.entities
    message.parse_mode = call.params.text("parse_mode") or None
    _apply_markup(message, markup)
    return _edited(call, message)


async def edit_message_caption(call: BotCall) -> dict[str, Any]:
    chat, message = message_to_edit(call)
    if message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    formatted = read_caption(call)
    markup = require_inline(read_reply_markup(call))
    new_caption = (formatted.text or None, formatted.entities)
    same_caption = new_caption == (message.caption, message.caption_entities)
    if same_caption and markup == _inline_markup(message):
        raise bad_request(NOT_MODIFIED)
    call.bot.take_send_slot(chat.id)
    message.caption, message.caption_entities = formatted.text or None, formatted.entities
    _apply_markup(message, markup)
    return _edited(call, message)


async def edit_message_reply_markup(call: BotCall) -> dict[str, Any]:
    chat, message = message_to_edit(call)
    markup = require_inline(read_reply_markup(call))
    if markup == _inline_markup(message):
        raise bad_request(NOT_MODIFIED)
    call.bot.take_send_slot(chat.id)
    _apply_markup(message, markup)
    return _edited(call, message)


def _edited(call: BotCall, message: StoredMessage) -> dict[str, Any]:
    message.edit_date = int(time.time())
    call.bot.stats.record_send(message.chat_id, edit=True)
    return message_json(call.bot, call.bot.chats[message.chat_id], message)


async def delete_message(call: BotCall) -> bool:
    chat = call.bot.chat_to_write(chat_id_param(call))
    message_id = call.params.integer("message_id")
    if message_id is None or chat.messages.pop(message_id, None) is None:
        raise bad_request(DELETE_NOT_FOUND)
    return True


async def send_chat_action(call: BotCall) -> bool:
    chat = call.bot.chat_to_write(chat_id_param(call))
    action = call.params.text("action") or ""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.action, chat.action_at = action, time.monotonic()
    return True


async def send_message_draft(call: BotCall) -> bool:
    """Bot API 9.3 streaming preview: shown in the chat page until the real message."""
    chat = call.bot.chat_to_write(chat_id_param(call))
    if chat.type != "private":
        raise bad_request("message drafts can be sent only to private chats")
    draft_id = call.params.integer("draft_id") or 0
    if draft_id == 0:
        raise bad_request("draft_id must be non-zero")
    formatted = read_message_text(call, allow_empty=True)
    chat.draft = Draft(draft_id, formatted.text, formatted.entities, time.monotonic())
    return True


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "sendChatAction": send_chat_action,
    "sendMessageDraft": send_message_draft,
}

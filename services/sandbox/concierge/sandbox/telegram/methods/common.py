"""Parameter readings shared by the methods that send and edit messages."""

from __future__ import annotations

from concierge.sandbox.telegram.errors import (
    CAPTION_TOO_LONG,
    CHAT_NOT_FOUND,
    EDIT_NOT_FOUND,
    TEXT_EMPTY,
    TEXT_TOO_LONG,
    bad_request,
)
from concierge.sandbox.telegram.formatting import parse_text
from concierge.sandbox.telegram.keyboards import Markup, parse_reply_markup
from concierge.sandbox.telegram.methods.context import BotCall
from concierge.sandbox.telegram.models import ChatRecord, StoredMessage
from concierge.sandbox.telegram.text import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    FormattedText,
    strip_formatted,
)

# Markup may make the raw text longer than what is shown, but not by this much.
RAW_TEXT_FACTOR = 16


def chat_id_param(call: BotCall) -> int | None:
    """``chat_id`` as a number; an ``@username`` names no chat the sandbox has."""
    text = call.params.text("chat_id")
    if text is None or text == "":
        return None
    if text.startswith("@"):
        raise bad_request(CHAT_NOT_FOUND)
    return call.params.integer("chat_id")


def read_formatted(
    call: BotCall,
    *,
    text_name: str,
    entities_name: str,
    limit: int,
    too_long: str,
    empty: str | None,
) -> FormattedText:
    """Parse text with its parse_mode, trim it like Telegram, then check its length."""
    raw = call.params.text(text_name) or ""
    if len(raw) > RAW_TEXT_FACTOR * limit:
        raise bad_request(too_long)  # no markup makes that short enough; skip parsing it
    entities = call.params.json(entities_name, "entities")
    formatted = strip_formatted(parse_text(raw, call.params.text("parse_mode"), entities))
    if not formatted.text and empty is not None:
        raise bad_request(empty)
    if len(formatted.text) > limit:
        raise bad_request(too_long)
    return formatted


def read_message_text(call: BotCall, *, allow_empty: bool = False) -> FormattedText:
    """The ``text`` of a message (1–4096 characters after entity parsing)."""
    return read_formatted(
        call,
        text_name="text",
        entities_name="entities",
        limit=MAX_TEXT_LENGTH,
        too_long=TEXT_TOO_LONG,
        empty=None if allow_empty else TEXT_EMPTY,
    )


def read_caption(call: BotCall) -> FormattedText:
    """The ``caption`` of a media message (0–1024 characters after entity parsing)."""
    return read_formatted(
        call,
        text_name="caption",
        entities_name="caption_entities",
        limit=MAX_CAPTION_LENGTH,
        too_long=CAPTION_TOO_LONG,
        empty=None,
    )


def read_reply_markup(call: BotCall) -> Markup | None:
    return parse_reply_markup(call.params.json("reply_markup", "reply keyboard markup"))


def read_reply_target(call: BotCall, chat: ChatRecord) -> int | None:
    """The message being replied to, from ``reply_parameters`` or ``reply_to_message_id``."""
    reply = call.params.json("reply_parameters", "reply parameters")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        tolerant = bool(reply.get("allow_sending_without_reply"))
    else:
        message_id = call.params.integer("reply_to_message_id")
        tolerant = call.params.boolean("allow_sending_without_reply")
    if not isinstance(message_id, int) or message_id == 0:
        return None
    if message_id in chat.messages:
        return message_id
    if tolerant:
        return None
    raise bad_request("message to be replied not found")


def message_to_edit(call: BotCall) -> tuple[ChatRecord, StoredMessage]:
    if "inline_message_id" in call.params:
        raise bad_request(EDIT_NOT_FOUND)
    chat = call.bot.chat_to_write(chat_id_param(call))
    message_id = call.params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request(EDIT_NOT_FOUND)
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message

"""sendPhoto and getFile: photos uploaded, re-sent by file_id, or given by URL."""

from __future__ import annotations

from typing import Any

from concierge.sandbox.telegram.bots import BotState
from concierge.sandbox.telegram.errors import bad_request
from concierge.sandbox.telegram.images import sniff_image
from concierge.sandbox.telegram.methods.common import (
    chat_id_param,
    read_caption,
    read_reply_markup,
    read_reply_target,
)
from concierge.sandbox.telegram.methods.context import BotCall, Handler
from concierge.sandbox.telegram.models import FileRecord
from concierge.sandbox.telegram.params import UploadedFile
from concierge.sandbox.telegram.shapes import message_json

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


def store_upload(bot: BotState, upload: UploadedFile) -> FileRecord:
    if len(upload.data) > MAX_PHOTO_BYTES:
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    image = sniff_image(upload.data)
    if image is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    file_id, unique_id = bot.new_file_ids()
    path = f"photos/file_{bot.next_sequence()}.{image.extension}"
    record = FileRecord(
        file_id, unique_id, path, upload.data, None, image.width, image.height, image.mime_type
    )
    bot.files[file_id] = record
    bot.file_paths[path] = record
    return record


def store_url(bot: BotState, url: str) -> FileRecord:
    """Record a photo given by URL. The sandbox never fetches it, so its size is unknown (0)."""
    file_id, unique_id = bot.new_file_ids()
    record = FileRecord(file_id, unique_id, None, None, url, 0, 0, "image/jpeg")
    bot.files[file_id] = record
    return record


def _photo_source(call: BotCall) -> FileRecord:
    reference = call.params.text("photo")
    upload = call.params.upload("photo")
    if upload is None and reference and reference.startswith("attach://"):
        upload = call.params.upload(reference.removeprefix("attach://"))
    if upload is not None:
        return store_upload(call.bot, upload)
    if not reference:
        raise bad_request("there is no photo in the request")
    if reference.lower().startswith(("http://", "https://")):
        return store_url(call.bot, reference)
    record = call.bot.files.get(reference)
    if record is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return record


async def send_photo(call: BotCall) -> dict[str, Any]:
    bot = call.bot
    chat = bot.chat_to_write(chat_id_param(call))
    record = _photo_source(call)
    caption = read_caption(call)
    markup = read_reply_markup(call)
    reply_to = read_reply_target(call, chat)
    bot.take_send_slot(chat.id)
    message = bot.add_message(
        chat,
        from_bot=True,
        sender_id=bot.id,
        photo=[record.photo_size()],
        caption=caption.text or None,
        caption_entities=caption.entities,
        parse_mode=call.params.text("parse_mode") or None,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        protected=call.params.boolean("protect_content"),
    )
    bot.stats.record_send(chat.id)
    return message_json(bot, chat, message)


async def get_file(call: BotCall) -> dict[str, Any]:
    record = call.bot.files.get(call.params.text("file_id") or "")
    if record is None:
        raise bad_request("invalid file_id")
    body: dict[str, Any] = {"file_id": record.file_id, "file_unique_id": record.file_unique_id}
    if record.content is not None:
        if len(record.content) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        body["file_size"] = len(record.content)
        body["file_path"] = record.file_path
    return body


HANDLERS: dict[str, Handler] = {"sendPhoto": send_photo, "getFile": get_file}

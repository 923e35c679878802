"""answerCallbackQuery: each query can be answered once, and only while it is fresh."""

from __future__ import annotations

import time

from concierge.sandbox.telegram.errors import QUERY_TOO_OLD, bad_request
from concierge.sandbox.telegram.methods.context import BotCall, Handler

MAX_ANSWER_TEXT = 200


async def answer_callback_query(call: BotCall) -> bool:
    record = call.bot.callbacks.get(call.params.text("callback_query_id") or "")
    now = time.monotonic()
    if record is None or record.answered:
        raise bad_request(QUERY_TOO_OLD)
    if now - record.created_at > call.settings.callback_answer_window_s:
        raise bad_request(QUERY_TOO_OLD)
    text = call.params.text("text")
    if text is not None and len(text) > MAX_ANSWER_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered, record.answered_at = True, now
    record.text = text
    record.show_alert = call.params.boolean("show_alert")
    record.url = call.params.text("url")
    record.cache_time = call.params.integer("cache_time")
    return True


HANDLERS: dict[str, Handler] = {"answerCallbackQuery": answer_callback_query}

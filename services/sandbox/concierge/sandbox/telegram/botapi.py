"""The bot side: ``/bot<token>/<method>`` and ``/file/bot<token>/<file_path>``.

Answers are Telegram's: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": ...}`` with status N.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from concierge.sandbox.telegram.bots import BotState
from concierge.sandbox.telegram.deps import SandboxDep
from concierge.sandbox.telegram.errors import NOT_FOUND, BotApiError
from concierge.sandbox.telegram.faults import Fault
from concierge.sandbox.telegram.methods import BotCall, find_method
from concierge.sandbox.telegram.params import Params, read_params

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


def telegram_response(body: dict[str, Any], status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def _call_chat_id(bot: BotState, method: str, params: Params) -> int | None:
    """The chat a call is about, so an injected fault can target one chat."""
    if method == "answerCallbackQuery":
        record = bot.callbacks.get(params.text("callback_query_id") or "")
        return record.chat_id if record else None
    text = params.text("chat_id")
    return params.integer("chat_id") if text and not text.startswith("@") else None


async def _run(state: SandboxDep, token: str, method: str, request: Request) -> Any:
    bot = state.bot_for_token(token)
    name, handler = find_method(method)
    params = await read_params(request)
    bot.stats.record_call(name)
    fault = state.faults.take(bot.id, name, _call_chat_id(bot, name, params))
    if fault is not None:
        await _apply(bot, fault)
    return await handler(BotCall(state, bot, name, params))


async def _apply(bot: BotState, fault: Fault) -> None:
    """Wait the fault's delay, then fail with its error (if it has one)."""
    if fault.delay_s:
        await asyncio.sleep(fault.delay_s)
    error = fault.to_error()
    if error is None:
        return
    bot.stats.record_fault(error.error_code)
    if error.error_code == 429:
        bot.stats.record_refusal("injected")
    raise error


@router.api_route("/bot{token}/{method}", methods=["GET", "POST"])
async def bot_method(token: str, method: str, request: Request, state: SandboxDep) -> Response:
    try:
        result = await _run(state, token, method, request)
    except BotApiError as exc:
        return telegram_response(exc.to_json(), exc.error_code)
    except Exception:
        log.exception("Bot API method %s failed", method)
        error = BotApiError(500, "Internal Server Error")
        return telegram_response(error.to_json(), 500)
    return telegram_response({"ok": True, "result": result})


@router.get("/file/bot{token}/{file_path:path}")
async def download_file(token: str, file_path: str, state: SandboxDep) -> Response:
    try:
        bot = state.bot_for_token(token)
        record = bot.file_paths.get(file_path)
        if record is None or record.content is None:
            raise NOT_FOUND
    except BotApiError as exc:
        return telegram_response(exc.to_json(), exc.error_code)
    return Response(record.content, media_type=record.mime_type)

"""The LLM stand-in's HTTP side.

``POST /llm/openai/v1/chat/completions`` speaks OpenAI's chat completions (as
Ollama, vLLM and llama.cpp do): point an OpenAI-compatible client at
``<sandbox>/llm/openai/v1``. ``POST /llm/anthropic/v1/messages`` speaks Anthropic's
Messages API (``x-api-key`` and ``anthropic-version`` headers required): point a
client at ``<sandbox>/llm/anthropic``. Errors come in each provider's own shape.

Controls: ``POST /sandbox/llm/faults`` (the next calls are slow, fail or reply with
garbage), ``GET /sandbox/llm/calls`` (what was received), ``DELETE /sandbox/llm``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from concierge.sandbox.llm.answers import answer, count_tokens
from concierge.sandbox.llm.faults import FaultKind, LlmCall, LlmFault, LlmStandIn

router = APIRouter(tags=["llm"])
_ids = itertools.count(1)


def get_llm(request: Request) -> LlmStandIn:
    state: LlmStandIn | None = getattr(request.app.state, "llm", None)
    if state is None:
        state = request.app.state.llm = LlmStandIn()
    return state


LlmDep = Annotated[LlmStandIn, Depends(get_llm)]


# --- OpenAI-compatible -------------------------------------------------------------------


def _openai_error(status: int, message: str, kind: str = "invalid_request_error") -> Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return JSONResponse(body, status_code=status)


def _text_of(content: Any) -> str | None:
    """A message's text: a string, or a list of parts of which the text ones count."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p for p in content if isinstance(p, dict) and p.get("type") == "text"]
        texts = [part["text"] for part in parts if isinstance(part.get("text"), str)]
        if len(texts) == len(parts):
            return "\n".join(texts)
    return None


def _last_user_text(messages: Any) -> str | None:
    if not isinstance(messages, list) or not messages:
        return None
    for message in reversed(messages):
        if not isinstance(message, dict) or "role" not in message:
            return None
        if message["role"] == "user":
            return _text_of(message.get("content"))
    return None


@router.post("/llm/openai/v1/chat/completions")
async def chat_completions(
    request: Request,
    llm: LlmDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    body = await _json_object(request)
    if body is None:
        return _openai_error(400, "We could not parse the JSON body of your request.")
    model, messages = body.get("model"), body.get("messages")
    if not isinstance(model, str) or not model:
        return _openai_error(400, "you must provide a model parameter")
    prompt = _last_user_text(messages)
    if prompt is None:
        return _openai_error(400, "'messages' must hold a user message with text content")
    if body.get("stream"):
        return _openai_error(400, "the sandbox does not stream; send stream=false")
    llm.record(LlmCall("openai", model, bool(authorization), body))
    if (fault := llm.take("openai")) and (failed := await _apply(fault, "openai")):
        return failed
    text = fault.text if fault and fault.kind == "reply" else answer(prompt)
    usage_in, usage_out = count_tokens(prompt), count_tokens(text)
    return JSONResponse(
        {
            "id": f"chatcmpl-sandbox-{next(_ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": usage_in,
                "completion_tokens": usage_out,
                "total_tokens": usage_in + usage_out,
            },
        }
    )


# --- Anthropic Messages --------------------------------------------------------------------


def _anthropic_error(status: int, message: str, kind: str = "invalid_request_error") -> Response:
    return JSONResponse(
        {"type": "error", "error": {"type": kind, "message": message}}, status_code=status
    )


@router.post("/llm/anthropic/v1/messages")
async def messages(
    request: Request,
    llm: LlmDep,
    x_api_key: Annotated[str | None, Header()] = None,
    anthropic_version: Annotated[str | None, Header()] = None,
) -> Response:
    if not x_api_key:
        return _anthropic_error(401, "x-api-key header is required", "authentication_error")
    if not anthropic_version:
        return _anthropic_error(400, "anthropic-version: header is required")
    body = await _json_object(request)
    if body is None:
        return _anthropic_error(400, "The request body is not valid JSON.")
    model, max_tokens = body.get("model"), body.get("max_tokens")
    if not isinstance(model, str) or not model:
        return _anthropic_error(400, "model: Field required")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return _anthropic_error(400, "max_tokens: Field required")
    system = body.get("system")
    if system is not None and _text_of(system) is None:
        return _anthropic_error(400, "system: Input should be a valid string or list of blocks")
    prompt = _last_user_text(body.get("messages"))
    if prompt is None:
        return _anthropic_error(400, "messages: a user message with text content is required")
    llm.record(LlmCall("anthropic", model, True, body))
    if (fault := llm.take("anthropic")) and (failed := await _apply(fault, "anthropic")):
        return failed
    text = fault.text if fault and fault.kind == "reply" else answer(prompt)
    return JSONResponse(
        {
            "id": f"msg_sandbox_{next(_ids)}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": count_tokens(prompt), "output_tokens": count_tokens(text)},
        }
    )


# --- faults and controls -------------------------------------------------------------------


async def _apply(fault: LlmFault, provider: str) -> Response | None:
    """What the fault makes of this call; None: answer normally (after a delay, or with
    the scripted text)."""
    if fault.kind == "reply":
        return None
    if fault.kind == "delay":
        await asyncio.sleep(fault.delay_s)
        return None
    if fault.kind == "error":
        if provider == "openai":
            return _openai_error(fault.status, "The server had an error", "server_error")
        return _anthropic_error(fault.status, "Internal server error", "api_error")
    if fault.kind == "empty":  # well-formed, but no text
        if provider == "openai":
            choice = {"index": 0, "message": {"role": "assistant", "content": ""}}
            return JSONResponse({"choices": [{**choice, "finish_reason": "stop"}]})
        return JSONResponse({"type": "message", "role": "assistant", "content": []})
    return PlainTextResponse("<html><body>502 Bad Gateway?</body></html>\x7f{", status_code=200)


async def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class FaultIn(BaseModel):
    kind: FaultKind
    times: int = Field(1, ge=1, le=1000)
    delay_s: float = Field(0.0, ge=0, le=600)
    status: int = Field(500, ge=400, le=599)
    provider: Literal["openai", "anthropic"] | None = None
    text: str = Field("", max_length=100_000)


@router.post("/sandbox/llm/faults", tags=["controls"])
async def add_fault(body: FaultIn, llm: LlmDep) -> dict[str, Any]:
    """The next ``times`` LLM calls (of one provider, or any) are slow, fail or garbled, or
    (``kind="reply"``) answer with ``text``."""
    fault = llm.add(
        body.kind,
        times_left=body.times,
        delay_s=body.delay_s,
        status=body.status,
        provider=body.provider,
        text=body.text,
    )
    return fault.to_json()


@router.get("/sandbox/llm/calls", tags=["controls"])
async def list_calls(llm: LlmDep) -> list[dict[str, Any]]:
    """The last calls received, oldest first (whether a key came, never the key)."""
    return [
        {"provider": c.provider, "model": c.model, "authorization": c.authorization, "body": c.body}
        for c in llm.calls
    ]


@router.delete("/sandbox/llm", tags=["controls"])
async def reset(llm: LlmDep) -> dict[str, bool]:
    llm.reset()
    return {"ok": True}

"""The LLM stand-in's HTTP side.

``POST /llm/openai/v1/chat/completions`` speaks OpenAI's chat completions (as
Ollama, vLLM and llama.cpp do): point an OpenAI-compatible client at
``<sandbox>/llm/openai/v1``. ``POST /llm/anthropic/v1/messages`` speaks Anthropic's
Messages API (``x-api-key`` and ``anthropic-version`` headers required): point a
client at ``<sandbox>/llm/anthropic``. Errors come in each provider's own shape.

Both stream (``stream: true``) as server-sent events, and both call tools: a test
scripts the calls (a ``tool_calls`` fault); unscripted, a request that declares tools
has its user's words passed to the first tool that takes one required string, and a
tool's result summed up in a sentence, so a conversation runs without a real model.

Controls: ``POST /sandbox/llm/faults`` (the next calls are slow, fail, reply with
garbage, or reply or call tools as scripted), ``GET /sandbox/llm/calls`` (what was
received), ``DELETE /sandbox/llm``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from concierge.sandbox.llm.answers import answer, count_tokens, first_sentence
from concierge.sandbox.llm.faults import FaultKind, LlmCall, LlmFault, LlmStandIn
from concierge.sandbox.llm.replies import (
    Reply,
    ToolCall,
    anthropic_json,
    anthropic_stream,
    openai_json,
    openai_stream,
)

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
    llm.record(LlmCall("openai", model, bool(authorization), body))
    if (fault := llm.take("openai")) and (failed := await _apply(fault, "openai")):
        return failed
    reply = _reply(fault, prompt, _openai_tools(body), _openai_tool_result(messages), "call")
    reply_id = f"chatcmpl-sandbox-{next(_ids)}"
    if body.get("stream"):
        options = body.get("stream_options")
        usage = isinstance(options, dict) and options.get("include_usage") is True
        return _streaming(openai_stream(reply, model, reply_id, usage=usage))
    return JSONResponse(openai_json(reply, model, reply_id))


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
    tools = _anthropic_tools(body)
    reply = _reply(fault, prompt, tools, _anthropic_tool_result(body.get("messages")), "toolu")
    reply_id = f"msg_sandbox_{next(_ids)}"
    if body.get("stream"):
        return _streaming(anthropic_stream(reply, model, reply_id))
    return JSONResponse(anthropic_json(reply, model, reply_id))


# --- what the stand-in replies ---------------------------------------------------------------


def _reply(
    fault: LlmFault | None,
    prompt: str,
    tools: dict[str, Any],
    tool_result: str | None,
    id_prefix: str,
) -> Reply:
    """A scripted reply (``reply``, ``tool_calls``), else the built-in model: with tools,
    the user's words go to the first tool taking one required string, and a tool's result
    is summed up; without, the passage answer."""
    tokens = count_tokens(prompt)
    if fault is not None and fault.kind == "reply":
        return Reply(fault.text, prompt_tokens=tokens)
    if fault is not None and fault.kind == "tool_calls":
        calls = [_tool_call(call, id_prefix) for call in fault.calls]
        return Reply(fault.text, calls, prompt_tokens=tokens)
    if tools and tool_result is not None:
        return Reply(f"Here is what I found: {first_sentence(tool_result)}", prompt_tokens=tokens)
    if tools and (name := _one_string_tool(tools)):
        argument = json.dumps({name[1]: prompt[:500]}, ensure_ascii=False)
        return Reply("", [ToolCall(f"{id_prefix}_{next(_ids)}", name[0], argument)], tokens)
    return Reply(answer(prompt), prompt_tokens=tokens)


def _tool_call(call: dict[str, Any], id_prefix: str) -> ToolCall:
    arguments = call.get("arguments", {})
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return ToolCall(f"{id_prefix}_{next(_ids)}", str(call.get("name", "")), arguments)


def _one_string_tool(tools: dict[str, Any]) -> tuple[str, str] | None:
    for name, schema in tools.items():
        required = schema.get("required") if isinstance(schema, dict) else None
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if isinstance(required, list) and len(required) == 1 and isinstance(properties, dict):
            field = properties.get(required[0])
            if isinstance(field, dict) and field.get("type") == "string":
                return name, required[0]
    return None


def _openai_tools(body: dict[str, Any]) -> dict[str, Any]:
    tools = body.get("tools")
    if not isinstance(tools, list):
        return {}
    found = {}
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            found[function["name"]] = function.get("parameters")
    return found


def _anthropic_tools(body: dict[str, Any]) -> dict[str, Any]:
    tools = body.get("tools")
    if not isinstance(tools, list):
        return {}
    return {
        tool["name"]: tool.get("input_schema")
        for tool in tools
        if isinstance(tool, dict) and isinstance(tool.get("name"), str)
    }


def _openai_tool_result(messages: Any) -> str | None:
    """The last message's text when it is a tool's result (the model's turn after a tool)."""
    last = messages[-1] if isinstance(messages, list) and messages else None
    if isinstance(last, dict) and last.get("role") == "tool":
        return _text_of(last.get("content")) or ""
    return None


def _anthropic_tool_result(messages: Any) -> str | None:
    last = messages[-1] if isinstance(messages, list) and messages else None
    content = last.get("content") if isinstance(last, dict) else None
    if not isinstance(content, list):
        return None
    for block in content:
        if isinstance(block, dict) and block.get("type") == "tool_result":
            inner = block.get("content")
            return inner if isinstance(inner, str) else (_text_of(inner) or "")
    return None


def _streaming(events: Iterator[str]) -> Response:
    return StreamingResponse(events, media_type="text/event-stream")


# --- faults and controls -------------------------------------------------------------------


async def _apply(fault: LlmFault, provider: str) -> Response | None:
    """What the fault makes of this call; None: answer normally (after a delay, or with
    the scripted text)."""
    if fault.kind in ("reply", "tool_calls"):
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


class ToolCallIn(BaseModel):
    name: str = Field(max_length=200)
    arguments: dict[str, Any] | str = Field(default_factory=dict)


class FaultIn(BaseModel):
    kind: FaultKind
    times: int = Field(1, ge=1, le=1000)
    delay_s: float = Field(0.0, ge=0, le=600)
    status: int = Field(500, ge=400, le=599)
    provider: Literal["openai", "anthropic"] | None = None
    text: str = Field("", max_length=100_000)
    calls: list[ToolCallIn] = Field(default_factory=list, max_length=20)


@router.post("/sandbox/llm/faults", tags=["controls"])
async def add_fault(body: FaultIn, llm: LlmDep) -> dict[str, Any]:
    """The next ``times`` LLM calls (of one provider, or any) are slow, fail or garbled, or
    (``kind="reply"``) answer with ``text``, or (``kind="tool_calls"``) call ``calls``."""
    fault = llm.add(
        body.kind,
        times_left=body.times,
        delay_s=body.delay_s,
        status=body.status,
        provider=body.provider,
        text=body.text,
        calls=[call.model_dump() for call in body.calls],
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

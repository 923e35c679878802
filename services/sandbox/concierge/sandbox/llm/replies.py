"""One reply of the stand-in (text and tool calls) in each protocol's shape, whole or
streamed as server-sent events.

OpenAI streams ``chat.completion.chunk`` objects whose tool-call pieces are keyed by
``index`` (the id and name come in the first piece, the arguments in several);
Anthropic streams ``message_start``, a ``content_block_start``/``_delta``/``_stop``
per block (``text_delta`` or ``input_json_delta``), ``message_delta`` with the stop
reason, ``message_stop``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from concierge.sandbox.llm.answers import count_tokens

PIECE_CHARS = 12  # how much text (or JSON) one streamed piece carries


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text as the model wrote it (maybe not valid JSON: a fault)

    def input(self) -> Any:
        """Anthropic sends the input as an object; arguments that are not one become {}."""
        try:
            value = json.loads(self.arguments)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Reply:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int = 1

    @property
    def output_tokens(self) -> int:
        return count_tokens(self.text + "".join(c.arguments for c in self.tool_calls))


def pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def sse(data: Any, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n"


# --- OpenAI ----------------------------------------------------------------------------------


def openai_usage(reply: Reply) -> dict[str, int]:
    out = reply.output_tokens
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": out,
        "total_tokens": reply.prompt_tokens + out,
    }


def openai_finish(reply: Reply) -> str:
    return "tool_calls" if reply.tool_calls else "stop"


def openai_json(reply: Reply, model: str, reply_id: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in reply.tool_calls
        ]
    elif not reply.text:
        message["content"] = ""
    return {
        "id": reply_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": openai_finish(reply)}],
        "usage": openai_usage(reply),
    }


def openai_stream(reply: Reply, model: str, reply_id: str, *, usage: bool) -> Iterator[str]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        body = {
            "id": reply_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [choice],
        }
        return sse(body)

    yield chunk({"role": "assistant", "content": ""})
    if reply.text:
        for piece in pieces(reply.text):
            yield chunk({"content": piece})
    for index, call in enumerate(reply.tool_calls):
        first = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        yield chunk({"tool_calls": [first]})
        for piece in pieces(call.arguments):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, openai_finish(reply))
    if usage:
        body = {
            "id": reply_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": openai_usage(reply),
        }
        yield sse(body)
    yield "data: [DONE]\n\n"


# --- Anthropic -------------------------------------------------------------------------------


def anthropic_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    for call in reply.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.input()})
    return blocks


def anthropic_stop(reply: Reply) -> str:
    return "tool_use" if reply.tool_calls else "end_turn"


def anthropic_json(reply: Reply, model: str, reply_id: str) -> dict[str, Any]:
    return {
        "id": reply_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": anthropic_blocks(reply),
        "stop_reason": anthropic_stop(reply),
        "stop_sequence": None,
        "usage": {"input_tokens": reply.prompt_tokens, "output_tokens": reply.output_tokens},
    }


def anthropic_stream(reply: Reply, model: str, reply_id: str) -> Iterator[str]:
    start = {**anthropic_json(reply, model, reply_id), "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": reply.prompt_tokens, "output_tokens": 0}
    yield sse({"type": "message_start", "message": start}, "message_start")
    index = 0
    if reply.text:
        block = {
            "type": "content_block_start",
            "index": index,
            "content_block": {"type": "text", "text": ""},
        }
        yield sse(block, "content_block_start")
        for piece in pieces(reply.text):
            delta = {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "text_delta", "text": piece},
            }
            yield sse(delta, "content_block_delta")
        yield sse({"type": "content_block_stop", "index": index}, "content_block_stop")
        index += 1
    for call in reply.tool_calls:
        use = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
        yield sse(
            {"type": "content_block_start", "index": index, "content_block": use},
            "content_block_start",
        )
        arguments = json.dumps(call.input())
        for piece in pieces(arguments):
            delta = {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "input_json_delta", "partial_json": piece},
            }
            yield sse(delta, "content_block_delta")
        yield sse({"type": "content_block_stop", "index": index}, "content_block_stop")
        index += 1
    end = {
        "type": "message_delta",
        "delta": {"stop_reason": anthropic_stop(reply), "stop_sequence": None},
        "usage": {"output_tokens": reply.output_tokens},
    }
    yield sse(end, "message_delta")
    yield sse({"type": "message_stop"}, "message_stop")

"""The LLM stand-in calls tools on both wire protocols, whole and streamed, as a test
scripts them (unknown tools, bad arguments, endless calls included) or by its built-in
model, which hands the user's words to a tool and sums up the tool's result."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.services.sandbox.conftest import StartSandbox
from tests.services.sandbox.test_llm import ANTHROPIC, ANTHROPIC_HEADERS, OPENAI

SEARCH_SCHEMA = {
    "type": "object",
    "properties": {"query": {"type": "string"}},
    "required": ["query"],
}
OPENAI_TOOLS = [
    {"type": "function", "function": {"name": "search_titles", "parameters": SEARCH_SCHEMA}}
]
ANTHROPIC_TOOLS = [{"name": "search_titles", "input_schema": SEARCH_SCHEMA}]


def openai_body(messages: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    messages = messages or [{"role": "user", "content": "find Arrival in 1080p"}]
    return {"model": "llama3.2", "messages": messages, "tools": OPENAI_TOOLS, **extra}


def anthropic_body(messages: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    messages = messages or [{"role": "user", "content": "find Arrival in 1080p"}]
    return {
        "model": "claude-test",
        "max_tokens": 300,
        "messages": messages,
        "tools": ANTHROPIC_TOOLS,
        **extra,
    }


async def script(http: httpx.AsyncClient, **fault: Any) -> None:
    response = await http.post("/sandbox/llm/faults", json={"kind": "tool_calls", **fault})
    assert response.status_code == 200, response.text


def events(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]" or json.loads(lines[-1])["type"] == "message_stop"
    return [json.loads(line) for line in lines if line != "[DONE]"]


class TestOpenAi:
    async def test_the_built_in_model_calls_the_tool_then_sums_up(
        self, start_sandbox: StartSandbox
    ) -> None:
        sandbox = await start_sandbox()
        reply = (await sandbox.http.post(OPENAI, json=openai_body())).json()
        (choice,) = reply["choices"]
        assert choice["finish_reason"] == "tool_calls"
        (call,) = choice["message"]["tool_calls"]
        assert call["function"]["name"] == "search_titles"
        assert json.loads(call["function"]["arguments"]) == {"query": "find Arrival in 1080p"}
        messages = [
            {"role": "user", "content": "find Arrival in 1080p"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "Arrival (2016). Sci-fi."},
        ]
        after = (await sandbox.http.post(OPENAI, json=openai_body(messages))).json()
        assert after["choices"][0]["finish_reason"] == "stop"
        assert after["choices"][0]["message"]["content"] == "Here is what I found: Arrival (2016)."

    async def test_streamed_tool_call_pieces_are_keyed_by_index(
        self, start_sandbox: StartSandbox
    ) -> None:
        sandbox = await start_sandbox()
        calls = [
            {"name": "search_titles", "arguments": {"query": "Arrival"}},
            {"name": "search_releases", "arguments": {"tmdb_id": 329865, "quality": "1080p"}},
        ]
        await script(sandbox.http, calls=calls, text="Looking.")
        body = openai_body(stream=True, stream_options={"include_usage": True})
        chunks = events(await sandbox.http.post(OPENAI, json=body))
        text = "".join(
            c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]
        )
        assert text == "Looking."
        arguments: dict[int, str] = {}
        names: dict[int, str] = {}
        for chunk in chunks:
            for piece in (
                chunk["choices"][0]["delta"].get("tool_calls", []) if chunk["choices"] else []
            ):
                arguments[piece["index"]] = (
                    arguments.get(piece["index"], "") + piece["function"]["arguments"]
                )
                if "id" in piece:
                    names[piece["index"]] = piece["function"]["name"]
        assert names == {0: "search_titles", 1: "search_releases"}
        assert json.loads(arguments[1]) == {"tmdb_id": 329865, "quality": "1080p"}
        finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
        assert finishes[-1] == "tool_calls"
        assert "usage" in chunks[-1]
        assert chunks[-1]["choices"] == []

    async def test_unknown_tools_and_bad_arguments_are_sent_as_scripted(
        self, start_sandbox: StartSandbox
    ) -> None:
        sandbox = await start_sandbox()
        calls = [
            {"name": "rm_rf", "arguments": {}},
            {"name": "search_titles", "arguments": "{oops"},
        ]
        await script(sandbox.http, calls=calls)
        reply = (await sandbox.http.post(OPENAI, json=openai_body())).json()
        sent = reply["choices"][0]["message"]["tool_calls"]
        assert [c["function"]["name"] for c in sent] == ["rm_rf", "search_titles"]
        assert sent[1]["function"]["arguments"] == "{oops"

    async def test_an_endless_loop_calls_again_every_time(
        self, start_sandbox: StartSandbox
    ) -> None:
        sandbox = await start_sandbox()
        await script(
            sandbox.http, calls=[{"name": "search_titles", "arguments": {"query": "x"}}], times=1000
        )
        messages = [
            {"role": "user", "content": "x"},
            {"role": "tool", "tool_call_id": "1", "content": "done"},
        ]
        for _ in range(3):
            reply = (await sandbox.http.post(OPENAI, json=openai_body(messages))).json()
            assert reply["choices"][0]["finish_reason"] == "tool_calls"


class TestAnthropic:
    async def test_the_built_in_model_uses_tool_use_blocks(
        self, start_sandbox: StartSandbox
    ) -> None:
        sandbox = await start_sandbox()
        response = await sandbox.http.post(
            ANTHROPIC, json=anthropic_body(), headers=ANTHROPIC_HEADERS
        )
        reply = response.json()
        assert reply["stop_reason"] == "tool_use"
        (block,) = reply["content"]
        assert block["type"] == "tool_use"
        assert block["input"] == {"query": "find Arrival in 1080p"}
        messages = [
            {"role": "user", "content": "find Arrival in 1080p"},
            {"role": "assistant", "content": [block]},
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": block["id"],
                        "content": "Arrival (2016). Sci-fi.",
                    }
                ],
            },
        ]
        after = await sandbox.http.post(
            ANTHROPIC, json=anthropic_body(messages), headers=ANTHROPIC_HEADERS
        )
        assert after.json()["content"] == [
            {"type": "text", "text": "Here is what I found: Arrival (2016)."}
        ]
        assert after.json()["stop_reason"] == "end_turn"

    async def test_streamed_blocks_and_json_deltas(self, start_sandbox: StartSandbox) -> None:
        sandbox = await start_sandbox()
        calls = [{"name": "search_titles", "arguments": {"query": "Прибытие"}}]
        await script(sandbox.http, calls=calls, text="Ищу.")
        response = await sandbox.http.post(
            ANTHROPIC, json=anthropic_body(stream=True), headers=ANTHROPIC_HEADERS
        )
        got = events(response)
        kinds = [event["type"] for event in got]
        assert kinds[0] == "message_start"
        assert kinds[-2:] == ["message_delta", "message_stop"]
        deltas = [e["delta"] for e in got if e["type"] == "content_block_delta"]
        text = "".join(d["text"] for d in deltas if d["type"] == "text_delta")
        partial = "".join(d["partial_json"] for d in deltas if d["type"] == "input_json_delta")
        assert text == "Ищу."
        assert json.loads(partial) == {"query": "Прибытие"}
        starts = [e["content_block"]["type"] for e in got if e["type"] == "content_block_start"]
        assert starts == ["text", "tool_use"]
        assert got[-2]["delta"]["stop_reason"] == "tool_use"


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "tool_calls", "calls": [{"name": "x" * 201}]},
        {"kind": "tool_calls", "calls": [{"name": "x", "arguments": 5}]},
        {"kind": "tool_calls", "calls": [{"name": "x"}] * 21},
    ],
)
async def test_bad_scripts_are_422(start_sandbox: StartSandbox, fault: dict[str, Any]) -> None:
    sandbox = await start_sandbox()
    assert (await sandbox.http.post("/sandbox/llm/faults", json=fault)).status_code == 422

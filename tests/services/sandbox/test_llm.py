"""The LLM stand-in: OpenAI-compatible chat completions and Anthropic Messages."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.services.sandbox.conftest import StartSandbox

OPENAI = "/llm/openai/v1/chat/completions"
ANTHROPIC = "/llm/anthropic/v1/messages"
ANTHROPIC_HEADERS = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01"}
PROMPT = (
    "Passages:\n\n[1] Bus news — City, 2026-10-01\nBus 135 runs every 20 minutes. Tickets cost "
    "150 roubles.\n\n[2] Rain — City, 2026-10-02\nHeavy rain is expected on Saturday! Take an "
    "umbrella.\n\n[3] Other\nNot cited.\n\nQuestion: how often does the bus run?"
)


def openai_body(prompt: str = PROMPT, **extra: Any) -> dict[str, Any]:
    return {
        "model": "llama3.2",
        "messages": [
            {"role": "system", "content": "Answer from the passages."},
            {"role": "user", "content": prompt},
        ],
        **extra,
    }


def anthropic_body(prompt: str = PROMPT, **extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-test",
        "max_tokens": 300,
        "system": "Answer from the passages.",
        "messages": [{"role": "user", "content": prompt}],
        **extra,
    }


ANSWER = "Bus 135 runs every 20 minutes. [1] Heavy rain is expected on Saturday! [2]"


class TestOpenAiCompatible:
    async def test_answers_in_the_chat_completion_shape(self, start_sandbox: StartSandbox) -> None:
        sandbox = await start_sandbox()
        response = await sandbox.http.post(OPENAI, json=openai_body())
        assert response.status_code == 200
        body = response.json()
        assert body["object"] == "chat.completion"
        assert body["model"] == "llama3.2"
        (choice,) = body["choices"]
        assert choice["message"] == {"role": "assistant", "content": ANSWER}
        assert choice["finish_reason"] == "stop"
        usage = body["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

    async def test_text_parts_and_no_passages(self, start_sandbox: StartSandbox) -> None:
        sandbox = await start_sandbox()
        parts = [{"type": "text", "text": "Question: anything?"}]
        response = await sandbox.http.post(OPENAI, json=openai_body(prompt=parts))  # type: ignore[arg-type]
        content = response.json()["choices"][0]["message"]["content"]
        assert content == "I have no passages to answer from."

    @pytest.mark.parametrize(
        "body",
        [
            {"messages": [{"role": "user", "content": "hi"}]},
            {"model": "m"},
            {"model": "m", "messages": []},
            {"model": "m", "messages": [{"role": "user", "content": 5}]},
            {"model": "m", "messages": "hi"},
            [1, 2],
        ],
    )
    async def test_bad_requests_get_openai_errors(
        self, start_sandbox: StartSandbox, body: Any
    ) -> None:
        sandbox = await start_sandbox()
        response = await sandbox.http.post(OPENAI, json=body)
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_request_error"


class TestAnthropic:
    async def test_answers_in_the_messages_shape(self, start_sandbox: StartSandbox) -> None:
        sandbox = await start_sandbox()
        response = await sandbox.http.post(
            ANTHROPIC, json=anthropic_body(), headers=ANTHROPIC_HEADERS
        )
        assert response.status_code == 200
        body = response.json()
        assert body["type"] == "message"
        assert body["role"] == "assistant"
        assert body["content"] == [{"type": "text", "text": ANSWER}]
        assert body["stop_reason"] == "end_turn"
        assert body["model"] == "claude-test"
        assert set(body["usage"]) == {"input_tokens", "output_tokens"}

    @pytest.mark.parametrize(
        ("headers", "status", "kind"),
        [
            ({"anthropic-version": "2023-06-01"}, 401, "authentication_error"),
            ({"x-api-key": "k"}, 400, "invalid_request_error"),
        ],
    )
    async def test_headers_are_required(
        self, start_sandbox: StartSandbox, headers: dict[str, str], status: int, kind: str
    ) -> None:
        sandbox = await start_sandbox()
        response = await sandbox.http.post(ANTHROPIC, json=anthropic_body(), headers=headers)
        assert response.status_code == status
        assert response.json() == {"type": "error", "error": {"type": kind, "message": ANY}}

    @pytest.mark.parametrize(
        "body",
        [
            {"model": "m", "messages": [{"role": "user", "content": "x"}]},
            anthropic_body(max_tokens=0),
            anthropic_body(messages=[]),
            anthropic_body(system={"oops": 1}),
        ],
    )
    async def test_bad_requests_get_anthropic_errors(
        self, start_sandbox: StartSandbox, body: dict[str, Any]
    ) -> None:
        sandbox = await start_sandbox()
        response = await sandbox.http.post(ANTHROPIC, json=body, headers=ANTHROPIC_HEADERS)
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_request_error"


class _Any:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(other)


ANY = _Any()


async def call(http: httpx.AsyncClient, provider: str) -> httpx.Response:
    if provider == "openai":
        return await http.post(OPENAI, json=openai_body())
    return await http.post(ANTHROPIC, json=anthropic_body(), headers=ANTHROPIC_HEADERS)


class TestFaults:
    @pytest.mark.parametrize("provider", ["openai", "anthropic"])
    async def test_errors_garbage_and_empty_replies(
        self, start_sandbox: StartSandbox, provider: str
    ) -> None:
        sandbox = await start_sandbox()
        faults = [
            {"kind": "error", "status": 503, "times": 2},
            {"kind": "garbage"},
            {"kind": "empty"},
        ]
        for fault in faults:
            assert (await sandbox.http.post("/sandbox/llm/faults", json=fault)).status_code == 200
        first, second = await call(sandbox.http, provider), await call(sandbox.http, provider)
        assert first.status_code == second.status_code == 503
        garbage = await call(sandbox.http, provider)
        assert garbage.status_code == 200
        with pytest.raises(ValueError, match="Expecting value"):
            garbage.json()
        empty = (await call(sandbox.http, provider)).json()
        assert "Bus 135" not in str(empty)
        assert (await call(sandbox.http, provider)).status_code == 200  # all used up

    @pytest.mark.parametrize("provider", ["openai", "anthropic"])
    async def test_a_scripted_reply_answers_once(
        self, start_sandbox: StartSandbox, provider: str
    ) -> None:
        sandbox = await start_sandbox()
        scripted = '{"check_in_time": "15:30", "date": null, "confidence": 0.9}'
        fault = {"kind": "reply", "text": scripted}
        assert (await sandbox.http.post("/sandbox/llm/faults", json=fault)).status_code == 200
        first = (await call(sandbox.http, provider)).json()
        second = (await call(sandbox.http, provider)).json()
        if provider == "openai":
            texts = [reply["choices"][0]["message"]["content"] for reply in (first, second)]
        else:
            texts = [reply["content"][0]["text"] for reply in (first, second)]
        assert texts[0] == scripted
        assert texts[1] != scripted  # used up: the passages' answer again

    async def test_delay_and_provider_filter(self, start_sandbox: StartSandbox) -> None:
        sandbox = await start_sandbox()
        fault = {"kind": "delay", "delay_s": 0.3, "provider": "anthropic"}
        await sandbox.http.post("/sandbox/llm/faults", json=fault)
        started = time.monotonic()
        assert (await call(sandbox.http, "openai")).status_code == 200
        assert time.monotonic() - started < 0.3
        started = time.monotonic()
        assert (await call(sandbox.http, "anthropic")).status_code == 200
        assert time.monotonic() - started >= 0.3

    async def test_calls_are_recorded_and_reset(self, start_sandbox: StartSandbox) -> None:
        sandbox = await start_sandbox()
        await call(sandbox.http, "openai")
        await sandbox.http.post(
            OPENAI, json=openai_body(), headers={"Authorization": "Bearer sk-1"}
        )
        calls = (await sandbox.http.get("/sandbox/llm/calls")).json()
        assert [(c["provider"], c["authorization"]) for c in calls] == [
            ("openai", False),
            ("openai", True),
        ]
        assert calls[0]["body"]["messages"][1]["content"] == PROMPT
        await sandbox.http.delete("/sandbox/llm")
        assert (await sandbox.http.get("/sandbox/llm/calls")).json() == []

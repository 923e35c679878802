"""The real bundled model: shapes, normalisation, meaning, and batching."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import pytest

from concierge.embedding import BatchingEmbedder, Embedder, model_prefixes
from concierge.embedding.model import Vectors


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


class CountingEmbedder(Embedder):
    calls: list[int]

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(len(texts))
        return super().encode_queries(texts)


class TestEmbedder:
    def test_vectors_are_normalised_384_floats(self, embedder: Embedder) -> None:
        vectors = embedder.encode_passages(["a cat sat on the mat", "stock markets fell"])
        assert vectors.shape == (2, 384)
        assert vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    def test_similar_meaning_is_closer(self, embedder: Embedder) -> None:
        query = embedder.encode_queries(["renting a flat by the sea"])[0]
        near, far = embedder.encode_passages(
            ["Apartment for rent near the beach, weekly prices", "The new GPU benchmark results"]
        )
        assert query @ near > query @ far + 0.2

    def test_empty_input(self, embedder: Embedder) -> None:
        assert embedder.encode_queries([]).shape == (0, 384)

    def test_e5_models_get_prefixes(self) -> None:
        assert model_prefixes("intfloat/multilingual-e5-small") == ("query: ", "passage: ")
        assert model_prefixes("all-MiniLM-L6-v2") == ("", "")


class TestBatching:
    async def test_concurrent_queries_share_batches_and_get_their_own_vectors(self) -> None:
        counting = CountingEmbedder()
        counting.calls = []
        batching = BatchingEmbedder(counting, max_batch=64)
        texts = [f"query number {i} about apartments" for i in range(40)]
        try:
            results = await asyncio.gather(*(batching.embed([t]) for t in texts))
        finally:
            batching.close()
        assert len(counting.calls) < 10  # 40 requests, a handful of model calls
        expected = counting.encode_queries(texts)
        for got, want in zip(results, expected, strict=True):
            assert np.allclose(got[0], want, atol=1e-5)

    async def test_a_failure_reaches_every_waiting_caller(self, embedder: Embedder) -> None:
        class Broken(Embedder):
            def encode_queries(self, texts: Sequence[str]) -> Vectors:
                raise RuntimeError("model crashed")

        broken = Broken.__new__(Broken)
        broken.__dict__.update(embedder.__dict__)
        batching = BatchingEmbedder(broken)
        try:
            outcomes = await asyncio.gather(
                *(batching.embed(["x"]) for _ in range(5)), return_exceptions=True
            )
        finally:
            batching.close()
        assert all(isinstance(o, RuntimeError) for o in outcomes)

"""POST /embed on a real worker process: the api's query embeddings."""

from __future__ import annotations

import asyncio

import httpx
import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.embedding import EmbeddingSpec, load_embedder
from tests.services.worker.conftest import Fleet

TOKEN = "dev-service-token"  # the test environment's default


async def embed(url: str, body: object, token: str | None = TOKEN) -> httpx.Response:
    headers = {"X-Service-Token": token} if token else {}
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return await http.post("/embed", json=body, headers=headers)


class TestEmbed:
    async def test_embeds_like_the_model_and_batches_concurrent_calls(
        self, fleet: Fleet, db: AsyncEngine
    ) -> None:
        (worker,) = fleet.start()
        texts = [f"apartment by the sea number {i}" for i in range(12)]
        responses = await asyncio.gather(*(embed(worker.url, {"texts": [t]}) for t in texts))
        assert all(r.status_code == 200 for r in responses)
        body = responses[0].json()
        assert body["model"] == "multilingual-e5-small-q4"
        assert body["dimensions"] == 384
        assert (body["similarity_floor"], body["cross_language_floor"]) == (0.84, 0.80)
        expected = load_embedder(EmbeddingSpec()).encode_queries(texts)
        got = np.array([r.json()["vectors"][0] for r in responses], dtype=np.float32)
        assert np.allclose(got, expected, atol=1e-4)

    async def test_refuses_bad_input_and_missing_token(self, fleet: Fleet) -> None:
        (worker,) = fleet.start()
        assert (await embed(worker.url, {"texts": ["x"]}, token=None)).status_code == 401
        for body in ({"texts": []}, {"texts": ["x"] * 65}, {"texts": [""]}, {"texts": "x"},
                     {"texts": ["x"], "kind": "image"}, {"texts": ["x" * 9000]}):  # fmt: skip
            response = await embed(worker.url, body)
            assert response.status_code == 422, body


class TestModelSearchUses:
    async def test_queries_are_503_when_the_active_model_cannot_load_here(
        self, fleet: Fleet, db: AsyncEngine
    ) -> None:
        """A re-embed from a model whose backend is not installed here: search cannot get
        query vectors of the old model (it runs on full text), passages still embed."""
        async with db.begin() as connection:
            await connection.execute(text("DELETE FROM embedding_models"))
            await connection.execute(
                text(
                    "INSERT INTO embedding_models (name, dimensions, spec, state) VALUES "
                    "('gone-model', 384, CAST(:spec AS jsonb), 'active')"
                ),
                {"spec": '{"backend": "openai", "model": "gone-model", '
                         '"base_url": "http://127.0.0.1:9/v1"}'},
            )  # fmt: skip
        try:
            (worker,) = fleet.start(embedding_timeout_s="1")
            refused = await embed(worker.url, {"texts": ["bus"], "kind": "query"})
            assert refused.status_code == 503
            assert "gone-model" in refused.json()["detail"]
            passage = await embed(worker.url, {"texts": ["bus"], "kind": "passage"})
            assert passage.status_code == 200
            assert passage.json()["model"] == "multilingual-e5-small-q4"
        finally:
            async with db.begin() as connection:
                await connection.execute(text("DELETE FROM embedding_models"))

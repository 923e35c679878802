"""POST /embed on a real worker process: the api's query embeddings."""

from __future__ import annotations

import asyncio

import httpx
import numpy as np

from concierge.embedding import Embedder
from tests.services.worker.conftest import Fleet

TOKEN = "dev-service-token"  # the test environment's default


async def embed(url: str, body: object, token: str | None = TOKEN) -> httpx.Response:
    headers = {"X-Service-Token": token} if token else {}
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return await http.post("/embed", json=body, headers=headers)


class TestEmbed:
    async def test_embeds_like_the_model_and_batches_concurrent_calls(self, fleet: Fleet) -> None:
        (worker,) = fleet.start()
        texts = [f"apartment by the sea number {i}" for i in range(12)]
        responses = await asyncio.gather(*(embed(worker.url, {"texts": [t]}) for t in texts))
        assert all(r.status_code == 200 for r in responses)
        body = responses[0].json()
        assert body["model"] == "all-MiniLM-L6-v2"
        assert body["dimensions"] == 384
        expected = Embedder().encode_queries(texts)
        got = np.array([r.json()["vectors"][0] for r in responses], dtype=np.float32)
        assert np.allclose(got, expected, atol=1e-4)

    async def test_refuses_bad_input_and_missing_token(self, fleet: Fleet) -> None:
        (worker,) = fleet.start()
        assert (await embed(worker.url, {"texts": ["x"]}, token=None)).status_code == 401
        for body in ({"texts": []}, {"texts": ["x"] * 65}, {"texts": [""]}, {"texts": "x"},
                     {"texts": ["x"], "kind": "image"}, {"texts": ["x" * 9000]}):  # fmt: skip
            response = await embed(worker.url, body)
            assert response.status_code == 422, body

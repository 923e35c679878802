"""Typed client for the worker's HTTP API (query embeddings)."""

from __future__ import annotations

from concierge.common.http_client import ServiceClient
from concierge.contracts.search import EmbedRequest, EmbedResponse


class WorkerClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def embed(self, texts: list[str], kind: str = "query") -> EmbedResponse:
        request = EmbedRequest.model_validate({"texts": texts, "kind": kind})
        # Embedding has no side effects: safe to retry.
        response = await self.http.request(
            "POST", "/embed", json=request.model_dump(mode="json"), idempotent=True
        )
        return EmbedResponse.model_validate(response.json())

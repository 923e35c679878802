"""ServiceClient against a real ASGI app standing in for another service."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from concierge.common.http_client import ServiceClient, ServiceResponseError, ServiceUnavailable
from concierge.common.logging import bound_request_id


class FlakyService:
    """Fails the first ``failures`` calls of each path with 503, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[Request] = []
        self.app = FastAPI()
        self.app.add_api_route("/{path}", self.handle, methods=["GET", "POST"])

    async def handle(self, request: Request, path: str) -> Response:
        self.calls.append(request)
        if path == "coded":
            body = (
                '{"detail": "wait", "status_code": 503, "code": "flood_wait", '
                '"params": {"retry_after": 7}}'
            )
            return Response(body, status_code=503)
        if path == "missing":
            return Response('{"detail": "nope", "status_code": 404}', status_code=404)
        if len(self.calls) <= self.failures:
            return Response(status_code=503)
        return Response('{"ok": true}', media_type="application/json")


def client_for(service: FlakyService) -> ServiceClient:
    return ServiceClient(
        "http://other",
        "token-123",
        max_backoff=0.01,
        transport=httpx.ASGITransport(app=service.app),
    )


class TestRetries:
    async def test_idempotent_call_is_retried_until_it_works(self) -> None:
        service = FlakyService(failures=2)
        async with client_for(service) as client:
            response = await client.request("GET", "/thing")
        assert response.json() == {"ok": True}
        assert len(service.calls) == 3

    async def test_plain_post_is_not_retried(self) -> None:
        service = FlakyService(failures=1)
        async with client_for(service) as client:
            with pytest.raises(ServiceUnavailable):
                await client.request("POST", "/thing")
        assert len(service.calls) == 1

    async def test_post_marked_idempotent_is_retried(self) -> None:
        service = FlakyService(failures=1)
        async with client_for(service) as client:
            await client.request("POST", "/thing", idempotent=True)
        assert len(service.calls) == 2

    async def test_gives_up_after_the_attempts(self) -> None:
        service = FlakyService(failures=100)
        async with client_for(service) as client:
            with pytest.raises(ServiceUnavailable):
                await client.request("GET", "/thing")
        assert len(service.calls) == 4

    async def test_client_errors_are_not_retried(self) -> None:
        service = FlakyService(failures=0)
        async with client_for(service) as client:
            with pytest.raises(ServiceResponseError) as error:
                await client.request("GET", "/missing")
        assert error.value.status_code == 404
        assert error.value.detail == "nope"
        assert len(service.calls) == 1

    async def test_a_coded_503_the_caller_expects_is_its_answer_not_an_outage(self) -> None:
        service = FlakyService(failures=0)
        async with client_for(service) as client:
            with pytest.raises(ServiceResponseError) as error:
                await client.request("GET", "/coded", coded_statuses=frozenset({503}))
        assert (error.value.status_code, error.value.code) == (503, "flood_wait")
        assert error.value.params == {"retry_after": 7}
        assert len(service.calls) == 1  # never retried

    async def test_a_503_without_a_code_stays_an_outage(self) -> None:
        service = FlakyService(failures=100)
        async with client_for(service) as client:
            with pytest.raises(ServiceUnavailable):
                await client.request("GET", "/thing", coded_statuses=frozenset({503}))
            with pytest.raises(ServiceUnavailable):  # not asked for: as before
                await client.request("GET", "/coded")
        assert len(service.calls) == 8

    async def test_unreachable_service(self) -> None:
        async with ServiceClient("http://127.0.0.1:9", "t", max_backoff=0.01) as client:
            with pytest.raises(ServiceUnavailable):
                await client.request("GET", "/x")


class TestHeaders:
    async def test_sends_the_token_and_the_current_request_id(self) -> None:
        service = FlakyService(failures=0)
        async with client_for(service) as client:
            with bound_request_id("req-42"):
                await client.request("GET", "/thing")
        headers = service.calls[0].headers
        assert headers["x-service-token"] == "token-123"
        assert headers["x-request-id"] == "req-42"

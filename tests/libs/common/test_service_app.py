"""The shared app shell: request ids, the error shape, the input guard, health routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from concierge.common.errors import Conflict
from concierge.common.logging import JsonFormatter, current_request_id
from concierge.common.service_app import create_service_app
from concierge.common.settings import ServiceSettings


class Item(BaseModel):
    name: str


def build_app(max_body_bytes: int = 1000) -> FastAPI:
    app = create_service_app("demo", ServiceSettings(max_body_bytes=max_body_bytes))

    @app.post("/items")
    async def create(item: Item) -> dict[str, str | None]:
        return {"name": item.name, "request_id": current_request_id()}

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("already there")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
        yield client


class TestRequestId:
    async def test_generated_when_missing(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/items", json={"name": "a"})
        assert len(response.headers["x-request-id"]) == 32
        assert response.json()["request_id"] == response.headers["x-request-id"]

    async def test_carried_when_given(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/items", json={"name": "a"}, headers={"X-Request-ID": "abc-123"}
        )
        assert response.headers["x-request-id"] == "abc-123"
        assert response.json()["request_id"] == "abc-123"

    async def test_unsafe_ids_are_replaced(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/items", json={"name": "a"}, headers={"X-Request-ID": "bad id\twith spaces"}
        )
        assert response.headers["x-request-id"] != "bad id\twith spaces"


class TestErrorShape:
    async def test_business_error(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/conflict")
        assert response.status_code == 409
        assert response.json() == {"detail": "already there", "status_code": 409}

    async def test_bug_is_a_500_without_internals(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/boom")
        assert response.status_code == 500
        assert response.json() == {"detail": "Internal server error", "status_code": 500}

    async def test_validation_error(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/items", json={"name": 5})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "name"]


class TestInputGuard:
    async def test_oversize_declared_body(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/items", content=b"x" * 1001)
        assert response.status_code == 413

    async def test_oversize_streamed_body(self, client: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(20):
                yield b"x" * 100

        response = await client.post("/items", content=chunks())
        assert response.status_code == 413

    async def test_a_nul_in_a_body_reaches_the_field_that_judges_it(
        self, client: httpx.AsyncClient
    ) -> None:
        """The guard looks at the URL only: a Telegram update or a JSON string may carry
        ``\u0000`` where nothing stores it, and a field that stores text refuses it."""
        for content in (b'{"name": "\\u0000"}', b'{"name": "a\\\\u0000"}'):
            response = await client.post(
                "/items", content=content, headers={"content-type": "application/json"}
            )
            assert response.status_code == 200, content

    async def test_nul_in_the_url_is_400(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/items?x=%00", json={"name": "a"})
        assert response.status_code == 400
        assert response.json() == {
            "detail": "NUL bytes are not allowed in the URL",
            "status_code": 400,
        }

    async def test_percent_sign_in_json_is_fine(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/items", json={"name": "100%00 sure"})
        assert response.status_code == 200


class TestOperationalRoutes:
    async def test_health(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/health")).json() == {"status": "ok", "service": "demo"}

    async def test_ready_without_checks(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/ready")).status_code == 200

    async def test_ready_reports_failing_checks(self) -> None:
        async def broken() -> None:
            raise ConnectionError("down")

        app = create_service_app(
            "demo", ServiceSettings(), readiness=lambda _: {"postgres": broken}
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            response = await client.get("/ready")
        assert response.status_code == 503
        assert response.json()["checks"] == {"postgres": "error: ConnectionError"}

    async def test_degraded_info_is_shown_and_never_fails_readiness(self) -> None:
        async def one_bad_target() -> dict[str, int]:
            return {"unhealthy": 1}

        async def unreadable() -> None:
            raise TimeoutError

        async def fine() -> None:
            return None

        app = create_service_app(
            "demo",
            ServiceSettings(),
            readiness=lambda _: {"postgres": fine},
            degraded=lambda _: {"targets": one_bad_target, "other": unreadable},
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            response = await client.get("/ready")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert response.json()["degraded"] == {
            "targets": {"unhealthy": 1},
            "other": {"error": "TimeoutError"},
        }

    async def test_metrics_count_requests_by_route(self, client: httpx.AsyncClient) -> None:
        await client.post("/items", json={"name": "a"})
        text = (await client.get("/metrics")).text
        assert (
            'http_requests_total{method="POST",route="/items",service="demo",status="200"}' in text
        )


class TestAccessLog:
    async def test_routine_routes_are_debug_while_they_succeed_others_info(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Health checks, metrics scrapes and a service's quiet routes (a poll): DEBUG,
        unless they fail; every other request: one INFO line."""
        app = create_service_app("demo", ServiceSettings(), quiet_paths={"/poll"})

        @app.post("/poll")
        async def poll(broken: bool = False) -> dict[str, list[str]]:
            if broken:
                raise Conflict("the queue is broken")
            return {"items": []}

        @app.post("/items")
        async def create(item: Item) -> dict[str, str]:
            return {"name": item.name}

        caplog.set_level(logging.DEBUG, logger="concierge.access")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
            for path in ("/health", "/ready", "/metrics"):
                await http.get(path)
            await http.post("/poll")
            await http.post("/poll", params={"broken": "true"})
            await http.post("/items", json={"name": "a"})
        logged = [
            (record.levelname, *record.getMessage().split()[1:3])
            for record in caplog.records
            if record.name == "concierge.access"
        ]
        assert logged == [
            ("DEBUG", "/health", "200"),
            ("DEBUG", "/ready", "200"),
            ("DEBUG", "/metrics", "200"),
            ("DEBUG", "/poll", "200"),
            ("INFO", "/poll", "409"),
            ("INFO", "/items", "200"),
        ]


class TestJsonLogs:
    def test_one_json_object_per_line_with_request_id(self) -> None:
        record = logging.makeLogRecord(
            {"msg": "hello %s", "args": ("world",), "levelname": "INFO", "duration_ms": 3}
        )
        entry = orjson.loads(JsonFormatter("demo").format(record))
        assert entry["msg"] == "hello world"
        assert entry["service"] == "demo"
        assert entry["duration_ms"] == 3
        assert "request_id" in entry

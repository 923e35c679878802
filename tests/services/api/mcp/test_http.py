"""/mcp over HTTP on a running api process, with the official ``mcp`` client: a person's
token (issued through the api as the bot issues it) lists and calls tools; anything but
a live token is a 401, never a 500; a Host the api does not serve is a 421; each call is
audited."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.embedded import EmbeddedPostgres, EmbeddedRedis
from tests.support.hostile import hostile_strings
from tests.support.infra import migrated_database, worker_name
from tests.support.stack import SERVICE_TOKEN, Stack

pytestmark = pytest.mark.integration

PERSON = 830_001
REDIS_DB = 7


@pytest.fixture(scope="module")
def running_api(
    postgres: EmbeddedPostgres, redis_server: EmbeddedRedis, scratch: Path
) -> Iterator[Stack]:
    """An api process over a database of its own (no worker: search runs on full text)."""
    database_url = migrated_database(postgres, f"mcp_http_{worker_name()}")
    stack = Stack(
        database_url,
        f"{redis_server.url}?db={REDIS_DB}",
        logs=scratch,
        extra_env={"API_MCP_ALLOWED_HOSTS": "127.0.0.1", "API_RATE_LIMIT_ENABLED": "false"},
    )
    stack.start("api")
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
async def api(running_api: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=running_api.url("api"), headers={SERVICE_TOKEN_HEADER: SERVICE_TOKEN},
        timeout=30, trust_env=False,
    ) as client:  # fmt: skip
        yield client


async def issued(api: httpx.AsyncClient, name: str, scopes: list[str] | None = None) -> dict:
    """A token of PERSON's (registered first), as the bot gets it."""
    registered = await api.post(
        "/api/v1/users", json={"telegram_id": PERSON, "first_name": "Agent owner"}
    )
    assert registered.status_code == 200, registered.text
    body: dict = {"name": name, **({"scopes": scopes} if scopes else {})}
    response = await api.post(
        "/api/v1/mcp/tokens", json=body, headers={ACTING_USER_HEADER: str(PERSON)}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def mcp_url(stack: Stack) -> str:
    return stack.url("api") + "/mcp"


class TestOfficialClient:
    async def test_lists_and_calls_tools_and_each_call_is_audited(
        self, running_api: Stack, api: httpx.AsyncClient
    ) -> None:
        token = (await issued(api, "desktop"))["token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30, trust_env=False) as http,
            streamable_http_client(mcp_url(running_api), http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            tools = {tool.name for tool in (await session.list_tools()).tools}
            assert {"search", "ask", "search_listings"} <= tools
            found = await session.call_tool("search", {"q": "bicycle"})
            assert not found.is_error
            assert found.structured_content is not None
            assert found.structured_content["items"] == []
            refused = await session.call_tool("search", {"q": "a\x00b"})
            assert refused.is_error
            assert "Invalid arguments" in refused.content[0].text  # type: ignore[union-attr]
        engine = create_async_engine(running_api.database_url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT c.tool, c.outcome FROM mcp_calls c JOIN users u "
                        "ON u.id = c.user_id WHERE u.telegram_id = :t ORDER BY c.id"
                    ),
                    {"t": PERSON},
                )
            ).all()
        await engine.dispose()
        assert [tuple(row) for row in rows][-2:] == [("search", "ok"), ("search", "invalid")]

    async def test_a_tool_outside_the_scopes(
        self, running_api: Stack, api: httpx.AsyncClient
    ) -> None:
        token = (await issued(api, "narrow", ["market:read"]))["token"]
        async with (
            httpx2.AsyncClient(
                headers={"Authorization": f"Bearer {token}"}, timeout=30, trust_env=False
            ) as http,
            streamable_http_client(mcp_url(running_api), http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            names = [tool.name for tool in (await session.list_tools()).tools]
            assert names == ["search_listings"]
            result = await session.call_tool("ask", {"question": "where?"})
            assert result.is_error
            assert "search:read" in result.content[0].text  # type: ignore[union-attr]


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _sendable(value: str) -> bool:
    """What an HTTP client lets through as a header value (others cannot be sent)."""
    return bool(value) and value.isascii() and value.isprintable() and value == value.strip()


class TestRefusals:
    async def test_no_wrong_odd_or_revoked_tokens_are_401(
        self, running_api: Stack, api: httpx.AsyncClient
    ) -> None:
        live = await issued(api, "soon-revoked")
        revoked = await api.delete(
            f"/api/v1/mcp/tokens/{live['id']}", headers={ACTING_USER_HEADER: str(PERSON)}
        )
        assert revoked.status_code == 204
        presented: list[str | None] = [
            None,
            "",
            "Basic dXNlcjpwYXNz",
            f"Bearer {live['token']}",  # revoked
            "Bearer cmcp_" + "A" * 43,
            "Bearer " + "x" * 8000,
            *(f"Bearer {s}" for s in hostile_strings(20) if _sendable(s)),
        ]
        async with httpx.AsyncClient(base_url=running_api.url("api"), trust_env=False) as http:
            for value in presented:
                headers = dict(ACCEPT)
                if value is not None:
                    headers["Authorization"] = value
                response = await http.post("/mcp", json=INITIALIZE, headers=headers)
                assert response.status_code == 401, (value or "")[:40]
                assert "Bearer" in response.headers.get("www-authenticate", "")
            for raw in (b"Bearer cmcp_\xff\xfe" + b"A" * 41, "Bearer жж".encode()):
                odd = [("authorization", raw)]
                response = await http.post("/mcp", json=INITIALIZE, headers=[*ACCEPT.items(), *odd])
                assert response.status_code == 401

    async def test_another_host_is_421(self, running_api: Stack, api: httpx.AsyncClient) -> None:
        token = (await issued(api, "host-check"))["token"]
        async with httpx.AsyncClient(base_url=running_api.url("api"), trust_env=False) as http:
            headers = {**ACCEPT, "Authorization": f"Bearer {token}", "Host": "evil.example"}
            response = await http.post("/mcp", json=INITIALIZE, headers=headers)
            assert response.status_code == 421
            headers["Host"] = running_api.url("api").removeprefix("http://")
            response = await http.post("/mcp", json=INITIALIZE, headers=headers)
            assert response.status_code == 200, response.text

    async def test_a_huge_body_is_refused_at_the_door(self, running_api: Stack) -> None:
        async with httpx.AsyncClient(base_url=running_api.url("api"), trust_env=False) as http:
            response = await http.post(
                "/mcp", content=b"{" + b" " * 5_000_000 + b"}", headers=ACCEPT
            )
            assert response.status_code == 413

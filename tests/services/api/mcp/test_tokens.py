"""/api/v1/mcp/tokens: issued once (stored hashed), listed without secrets, revoked;
another person's token is a 404; and a presented token checked back to its person:
anything but a live token is refused, never an error."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.mcp.auth import ConciergeTokens
from concierge.api.mcp.repository import McpTokenRepository
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.contracts.mcp import MAX_TOKENS_PER_USER
from concierge.domain.mcp.models import McpToken
from tests.services.api.mcp.conftest import ALICE, BOB, TOKENS, Issue, register
from tests.support.hostile import hostile_strings

pytestmark = pytest.mark.integration


def as_(telegram_id: int) -> dict[str, str]:
    return {ACTING_USER_HEADER: str(telegram_id)}


class TestIssue:
    async def test_shown_once_stored_hashed(
        self, session: AsyncSession, api: httpx.AsyncClient
    ) -> None:
        await register(api, ALICE)
        response = await api.post(TOKENS, json={"name": "laptop"}, headers=as_(ALICE))
        assert response.status_code == 201
        issued = response.json()
        assert issued["token"].startswith("cmcp_")
        assert len(issued["token"]) == 48
        assert issued["scopes"] == ["market:read", "rentals:read", "search:read"]
        assert issued["token"].startswith(issued["hint"])
        row = await session.scalar(select(McpToken).where(McpToken.id == issued["id"]))
        assert row is not None
        assert row.token_hash == hashlib.sha256(issued["token"].encode()).hexdigest()
        listed = (await api.get(TOKENS, headers=as_(ALICE))).json()
        assert [t["name"] for t in listed] == ["laptop"]
        assert "token" not in listed[0]

    async def test_several_names_one_live_token_of_a_name(
        self, api: httpx.AsyncClient, issue: Issue
    ) -> None:
        await issue(ALICE, "laptop")
        await issue(ALICE, "phone", ["rentals:write"])
        again = await api.post(TOKENS, json={"name": "laptop"}, headers=as_(ALICE))
        assert again.status_code == 409
        assert len((await api.get(TOKENS, headers=as_(ALICE))).json()) == 2

    async def test_at_most_so_many(self, api: httpx.AsyncClient, issue: Issue) -> None:
        for n in range(MAX_TOKENS_PER_USER):
            await issue(ALICE, f"t{n}")
        response = await api.post(TOKENS, json={"name": "one-more"}, headers=as_(ALICE))
        assert response.status_code == 409

    @pytest.mark.parametrize(
        "body",
        [
            {"name": "a\x00b"},
            {"name": ""},
            {"name": "x" * 41},
            {"name": "two words"},
            {"name": 5},
            {"name": "ok", "scopes": ["root"]},
            {"name": "ok", "scopes": []},
            {"name": "ok", "scopes": "search:read"},
        ],
    )
    async def test_bad_bodies_are_422(self, api: httpx.AsyncClient, body: object) -> None:
        await register(api, ALICE)
        response = await api.post(TOKENS, json=body, headers=as_(ALICE))
        assert response.status_code == 422, response.text


class TestRevoke:
    async def test_revoked_tokens_are_refused(
        self, api: httpx.AsyncClient, issue: Issue, mcp_app: FastAPI
    ) -> None:
        token = await issue(ALICE)
        verifier = ConciergeTokens(mcp_app.state.mcp)
        assert await verifier.verify_token(token) is not None
        (listed,) = (await api.get(TOKENS, headers=as_(ALICE))).json()
        response = await api.delete(f"{TOKENS}/{listed['id']}", headers=as_(ALICE))
        assert response.status_code == 204
        assert await verifier.verify_token(token) is None
        assert (await api.get(TOKENS, headers=as_(ALICE))).json() == []
        again = await api.delete(f"{TOKENS}/{listed['id']}", headers=as_(ALICE))
        assert again.status_code == 404

    async def test_another_persons_token_is_404(
        self, api: httpx.AsyncClient, issue: Issue, mcp_app: FastAPI
    ) -> None:
        token = await issue(ALICE)
        await register(api, BOB)
        (listed,) = (await api.get(TOKENS, headers=as_(ALICE))).json()
        response = await api.delete(f"{TOKENS}/{listed['id']}", headers=as_(BOB))
        assert response.status_code == 404
        assert await ConciergeTokens(mcp_app.state.mcp).verify_token(token) is not None

    @pytest.mark.parametrize("token_id", ["0", "-1", "x", str(2**63), "1%00"])
    async def test_odd_ids(self, api: httpx.AsyncClient, token_id: str) -> None:
        await register(api, ALICE)
        response = await api.delete(f"{TOKENS}/{token_id}", headers=as_(ALICE))
        assert response.status_code in (400, 404, 422)  # NUL in a path: 400 at the door


class TestPresentedTokens:
    async def test_anything_but_a_live_token_is_refused(
        self, issue: Issue, mcp_app: FastAPI
    ) -> None:
        token = await issue(ALICE)
        verifier = ConciergeTokens(mcp_app.state.mcp)
        forged = [
            token[:-1],
            token + "A",
            token[:-1] + ("B" if token[-1] != "B" else "C"),
            token.upper(),
            token + "\x00",
            "cmcp_" + "A" * 43,
            *hostile_strings(40),
        ]
        for presented in forged:
            assert await verifier.verify_token(presented) is None, presented[:60]

    async def test_the_live_token_names_its_person_and_scopes(
        self, issue: Issue, mcp_app: FastAPI
    ) -> None:
        token = await issue(ALICE, "s", ["search:read"])
        access = await ConciergeTokens(mcp_app.state.mcp).verify_token(f" {token} ")
        assert access is not None
        assert access.scopes == ["search:read"]
        assert access.client_id.startswith("user:")


class TestRace:
    async def test_a_name_taken_between_check_and_insert_is_a_conflict(
        self, session: AsyncSession, api: httpx.AsyncClient, issue: Issue
    ) -> None:
        await issue(ALICE, "laptop")
        (live,) = (await api.get(TOKENS, headers=as_(ALICE))).json()
        row = await session.get(McpToken, live["id"])
        assert row is not None
        twin = McpToken(
            user_id=row.user_id, name="laptop", token_hash="0" * 64, hint="cmcp_0000",
            scopes=["search:read"], created_at=row.created_at,
        )  # fmt: skip
        assert await McpTokenRepository(session).add_live(twin) is None
        assert [t["name"] for t in (await api.get(TOKENS, headers=as_(ALICE))).json()] == ["laptop"]

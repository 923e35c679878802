"""Bearer rules on a market endpoint: only a fresh, well-signed token of a known user."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from tests.services.api.market.conftest import BUYER_ID, SELLER_ID

DEV_SECRET = "dev-jwt-secret-for-local-development-only"
ISSUER = "concierge-api"
AUDIENCE = "concierge-webapp"
MINE = "/api/v1/listings/mine"


def token(
    sub: int = SELLER_ID,
    *,
    secret: str = DEV_SECRET,
    age_s: int = 0,
    lifetime_s: int = 600,
    **claims,
) -> str:
    issued = int(time.time()) - age_s
    body = {
        "sub": str(sub),
        "iat": issued,
        "exp": issued + lifetime_s,
        "iss": ISSUER,
        "aud": AUDIENCE,
        **claims,
    }
    return jwt.encode(body, secret, algorithm="HS256")


def unsigned(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.fixture
async def anonymous(market_app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=market_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


async def mine_with(client: httpx.AsyncClient, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return await client.get(MINE, headers=headers)


class TestBearer:
    async def test_a_valid_token_of_a_known_user_is_200(self, seller, anonymous):
        response = await mine_with(anonymous, f"Bearer {token()}")
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next_cursor": None}

    @pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer  ", "Basic abc", "tma x=1"])
    async def test_no_token_is_401(self, seller, anonymous, header):
        response = await mine_with(anonymous, header)
        assert response.status_code == 401
        assert response.json()["detail"]

    async def test_alg_none_is_401(self, seller, anonymous):
        now = int(time.time())
        claims = {"sub": str(SELLER_ID), "iat": now, "exp": now + 600}
        forged = unsigned({**claims, "iss": ISSUER, "aud": AUDIENCE})
        assert (await mine_with(anonymous, f"Bearer {forged}")).status_code == 401

    async def test_an_expired_token_is_401(self, seller, anonymous):
        expired = token(age_s=1000, lifetime_s=600)
        assert (await mine_with(anonymous, f"Bearer {expired}")).status_code == 401

    @pytest.mark.parametrize(
        "bad",
        [
            token(aud="someone-else"),
            token(iss="evil-issuer"),
            token(secret="another-secret-that-is-32-bytes-or-more!"),
            token(sub=SELLER_ID) + "x",
            "not.a.jwt",
        ],
    )
    async def test_wrong_audience_issuer_or_signature_is_401(self, seller, anonymous, bad):
        assert (await mine_with(anonymous, f"Bearer {bad}")).status_code == 401

    async def test_a_token_without_exp_is_401(self, seller, anonymous):
        claims = {"sub": str(SELLER_ID), "iat": int(time.time()), "iss": ISSUER, "aud": AUDIENCE}
        forever = jwt.encode(claims, DEV_SECRET, algorithm="HS256")
        assert (await mine_with(anonymous, f"Bearer {forever}")).status_code == 401

    async def test_a_token_for_an_unknown_user_is_401(self, seller, anonymous):
        response = await mine_with(anonymous, f"Bearer {token(sub=123_456_789)}")
        assert response.status_code == 401

    async def test_the_token_decides_who_you_are(self, seller, buyer, anonymous):
        created = await seller.post(
            "/api/v1/listings",
            json={"title": "Lamp", "category": "home", "price": "10", "city": "Riga"},
        )
        assert created.status_code == 201
        own = await mine_with(anonymous, f"Bearer {token(SELLER_ID)}")
        assert [item["id"] for item in own.json()["items"]] == [created.json()["id"]]
        other = await mine_with(anonymous, f"Bearer {token(BUYER_ID)}")
        assert other.json()["items"] == []

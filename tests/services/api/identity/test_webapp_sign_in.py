"""POST /api/v1/auth/telegram and the Bearer tokens it gives the Mini App."""

from __future__ import annotations

import time

import httpx
import jwt

from concierge.common.settings import SANDBOX_BOT_TOKEN
from concierge.sandbox.telegram.webapp import build_init_data

USER = {"id": 700_123, "first_name": "Mila", "username": "mila", "language_code": "ru"}
DEV_SECRET = "dev-jwt-secret-for-local-development-only"


def tma(init_data: str) -> dict[str, str]:
    return {"Authorization": f"tma {init_data}"}


async def sign_in(api: httpx.AsyncClient, **init: object) -> httpx.Response:
    return await api.post(
        "/api/v1/auth/telegram", headers=tma(build_init_data(SANDBOX_BOT_TOKEN, USER, **init))
    )  # type: ignore[arg-type]


class TestSignIn:
    async def test_valid_init_data_gives_a_short_token_and_registers_the_user(self, api):
        response = await sign_in(api)
        assert response.status_code == 200, response.text
        body = response.json()
        assert 0 < body["expires_in"] <= 900
        assert body["user"]["telegram_id"] == USER["id"]
        assert body["user"]["username"] == "mila"
        claims = jwt.decode(
            body["access_token"], DEV_SECRET, algorithms=["HS256"], audience="concierge-webapp"
        )
        assert claims["sub"] == str(USER["id"])
        assert claims["exp"] - claims["iat"] <= 900
        registered = await api.get(f"/api/v1/users/{USER['id']}")
        assert registered.json()["first_name"] == "Mila"

    async def test_forged_init_data_is_401(self, api):
        forged = build_init_data("7000000001:SomeoneElsesTokenxxxxxxxxxxxxxxxxxx", USER)
        response = await api.post("/api/v1/auth/telegram", headers=tma(forged))
        assert response.status_code == 401
        assert "not signed" in response.json()["detail"]

    async def test_tampered_user_is_401(self, api):
        init_data = build_init_data(SANDBOX_BOT_TOKEN, USER).replace("Mila", "Evil")
        response = await api.post("/api/v1/auth/telegram", headers=tma(init_data))
        assert response.status_code == 401

    async def test_stale_or_future_auth_date_is_401(self, api):
        for auth_date in (int(time.time()) - 3601, int(time.time()) + 120):
            response = await sign_in(api, auth_date=auth_date)
            assert response.status_code == 401, auth_date

    async def test_missing_or_wrong_scheme_is_401(self, api):
        for headers in ({}, {"Authorization": "Bearer x"}, {"Authorization": "tma "}):
            response = await api.post("/api/v1/auth/telegram", headers=headers)
            assert response.status_code == 401
        huge = {"Authorization": "tma " + "a=b&" * 5000}
        assert (await api.post("/api/v1/auth/telegram", headers=huge)).status_code == 401

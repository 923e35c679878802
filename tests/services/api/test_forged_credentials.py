"""Forged or malformed credentials are a 401/403, never a 500: the Mini App's initData
(``Authorization: tma``), the service token, and the signatures of the local storage's
media and upload links, each fuzzed with hostile text (any Unicode, empty, huge,
repeated parameters)."""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx
import pytest

from concierge.common.settings import SANDBOX_BOT_TOKEN
from concierge.sandbox.telegram.webapp import build_init_data
from tests.support.hostile import hostile_strings

pytestmark = pytest.mark.integration

SIGN_IN = "/api/v1/auth/telegram"
USER = {"id": 700_321, "first_name": "Fuzz"}
IMAGE_KEY = "photos/1/" + "a" * 32 + ".jpg"
UPLOAD_KEY = "uploads/1/" + "b" * 32


def header(value: str) -> bytes:
    """A header as a client sends it: UTF-8 bytes (the server reads them as latin-1)."""
    return value.encode("utf-8")


def forged_init_data(text: str) -> list[str]:
    """Launch data around ``text``: as the hash, repeated, as a whole, and percent-encoded."""
    valid = build_init_data(SANDBOX_BOT_TOKEN, USER)
    without_hash = "&".join(part for part in valid.split("&") if not part.startswith("hash="))
    return [
        f"{without_hash}&hash={text}",
        f"{without_hash}&hash={quote(text)}",
        f"{valid}&hash={quote(text)}",  # the hash twice
        f"{without_hash}&signature={quote(text)}",
        text,
        f"user={quote(text)}&auth_date={int(time.time())}&hash={quote(text)}",
    ]


class TestMiniAppSignIn:
    async def test_the_reported_case_is_401(self, api: httpx.AsyncClient) -> None:
        valid = build_init_data(SANDBOX_BOT_TOKEN, USER)
        forged = valid.rsplit("hash=", 1)[0] + "hash=жж"
        response = await api.post(SIGN_IN, headers={"Authorization": header(f"tma {forged}")})
        assert response.status_code == 401, response.text

    async def test_hostile_init_data_is_always_401(self, api: httpx.AsyncClient) -> None:
        for text in hostile_strings():
            for init_data in forged_init_data(text):
                response = await api.post(
                    SIGN_IN, headers={"Authorization": header(f"tma {init_data}")}
                )
                assert response.status_code == 401, (init_data[:200], response.text)
                assert response.json()["status_code"] == 401


class TestServiceToken:
    async def test_hostile_tokens_are_always_401(self, api: httpx.AsyncClient) -> None:
        for text in hostile_strings():
            if not text.strip():
                continue  # an empty header is no header: also 401, tested below
            response = await api.get("/api/v1/users/1", headers={"X-Service-Token": header(text)})
            assert response.status_code == 401, (text[:100], response.text)
        response = await api.get("/api/v1/users/1", headers={"X-Service-Token": b""})
        assert response.status_code == 401


class TestSignedLinks:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("GET", f"/api/v1/media/{IMAGE_KEY}"), ("POST", f"/api/v1/uploads/{UPLOAD_KEY}")],
    )
    async def test_hostile_signatures_are_always_403(
        self, api: httpx.AsyncClient, method: str, path: str
    ) -> None:
        expires = int(time.time()) + 600
        for text in hostile_strings():
            if "\x00" in text or len(text) > 128:
                continue  # refused before the signature is looked at: tested below
            query = f"expires={expires}&sig={quote(text)}"
            response = await api.request(method, f"{path}?{query}")
            assert response.status_code == 403, (text[:100], response.text)

    async def test_repeated_huge_and_nul_signatures_are_refused(
        self, api: httpx.AsyncClient
    ) -> None:
        expires = int(time.time()) + 600
        path = f"/api/v1/media/{IMAGE_KEY}"
        for query, status in [
            (f"expires={expires}&sig=a&sig=b", 403),
            (f"expires={expires}&sig={'f' * 129}", 422),
            (f"expires={expires}&sig=%00", 400),
            (f"expires={expires}", 422),
            ("expires=9" * 40 + "&sig=a", 422),
            ("expires=-1&sig=a", 422),
        ]:
            response = await api.get(f"{path}?{query}")
            assert response.status_code == status, (query[:100], response.text)

"""Malformed, mistyped, NUL-laden and oversize input gets a clear 4xx, never a 500."""

from __future__ import annotations

import httpx
import pytest

USERS = "/api/v1/users"


def assert_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status_code"] == status
    assert body["detail"]


class TestBadInput:
    async def test_malformed_json(self, api: httpx.AsyncClient) -> None:
        response = await api.post(
            USERS, content=b'{"telegram_id": 1,', headers={"content-type": "application/json"}
        )
        assert_error(response, 422)

    @pytest.mark.parametrize(
        "body",
        [
            {"telegram_id": "abc"},
            {"telegram_id": -5},
            {"telegram_id": 0},
            {"telegram_id": 2**63},
            {"telegram_id": 1.5},
            {"telegram_id": None},
            {},
            [],
            "just a string",
            {"telegram_id": 1, "username": "has space"},
            {"telegram_id": 1, "username": "x" * 33},
            {"telegram_id": 1, "first_name": "x" * 65},
            {"telegram_id": 1, "first_name": ["list"]},
            {"telegram_id": 1, "language_code": "<script>"},
            # Found by the fuzzer: well-formed but longer than the column (was a 500).
            {"telegram_id": 1, "language_code": "en" + "-abcdefgh" * 4},
            # Text or true/false where an integer id belongs hides a client bug.
            {"telegram_id": "42"},
            {"telegram_id": True},
            {"telegram_id": 1, "role": "admin"},
            {"telegram_id": 1, "status": "active"},
        ],
    )
    async def test_wrong_types_and_values(self, api: httpx.AsyncClient, body: object) -> None:
        assert_error(await api.post(USERS, json=body), 422)

    async def test_validation_errors_do_not_echo_the_input(self, api: httpx.AsyncClient) -> None:
        response = await api.post(USERS, json={"telegram_id": 1, "first_name": "x" * 1000})
        assert "x" * 100 not in response.text

    @pytest.mark.parametrize(
        "content",
        [
            b'{"telegram_id": 1, "first_name": "a\\u0000b"}',
            b'{"telegram_id": 1, "first_name": "a\x00b"}',
        ],
    )
    async def test_nul_bytes_in_body(self, api: httpx.AsyncClient, content: bytes) -> None:
        """Refused at the field (an escaped NUL) or by the JSON parser (a raw one): 422."""
        response = await api.post(
            USERS, content=content, headers={"content-type": "application/json"}
        )
        assert_error(response, 422)

    async def test_nul_bytes_in_url(self, api: httpx.AsyncClient) -> None:
        assert_error(await api.get(f"{USERS}/1%00"), 400)
        assert_error(await api.get("/api/v1/admin/users", params={"status": "a\x00"}), 400)

    async def test_oversize_body(self, api: httpx.AsyncClient) -> None:
        body = b'{"telegram_id": 1, "first_name": "' + b"x" * 2_000_000 + b'"}'
        response = await api.post(USERS, content=body, headers={"content-type": "application/json"})
        assert_error(response, 413)

    @pytest.mark.parametrize("telegram_id", ["abc", "-1", "0", "99999999999999999999999"])
    async def test_bad_path_ids(self, api: httpx.AsyncClient, telegram_id: str) -> None:
        assert_error(await api.get(f"{USERS}/{telegram_id}"), 422)

    async def test_unknown_route_and_method(self, api: httpx.AsyncClient) -> None:
        assert_error(await api.get("/api/v1/nowhere"), 404)
        assert_error(await api.delete(f"{USERS}/1"), 405)

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.domain.identity.models import User, UserLog
from tests.services.api.conftest import ADMIN_ID

USERS = "/api/v1/users"


async def register(api: httpx.AsyncClient, telegram_id: int, **profile: object) -> dict:
    response = await api.post(USERS, json={"telegram_id": telegram_id, **profile})
    assert response.status_code == 200, response.text
    return response.json()


async def set_status(api: httpx.AsyncClient, telegram_id: int, status: str) -> httpx.Response:
    return await api.put(f"{USERS}/{telegram_id}/status", json={"status": status})


class TestRegister:
    async def test_creates_a_new_user(self, api: httpx.AsyncClient) -> None:
        user = await register(api, 1001, username="anna", first_name="Anna", language_code="ru")
        assert user["telegram_id"] == 1001
        assert user["status"] == "new"
        assert user["role"] == "user"
        assert user["language"] is None
        assert user["username"] == "anna"

    async def test_is_idempotent_and_refreshes_the_profile(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        first = await register(api, 1002, username="old_name")
        second = await register(api, 1002, username="new_name", first_name="Boris")
        assert second["id"] == first["id"]
        assert second["username"] == "new_name"
        assert second["first_name"] == "Boris"
        count = await session.scalar(
            select(func.count()).select_from(User).where(User.telegram_id == 1002)
        )
        assert count == 1
        logs = await session.scalars(select(UserLog.action).where(UserLog.user_id == first["id"]))
        assert logs.all() == ["registered"]

    async def test_configured_admin_gets_the_admin_role(self, api: httpx.AsyncClient) -> None:
        assert (await register(api, ADMIN_ID))["role"] == "admin"

    async def test_keeps_the_status(self, api: httpx.AsyncClient) -> None:
        await register(api, 1003)
        assert (await set_status(api, 1003, "onboarding")).status_code == 200
        assert (await register(api, 1003))["status"] == "onboarding"


class TestGetUser:
    async def test_returns_a_registered_user(self, api: httpx.AsyncClient) -> None:
        await register(api, 1010, first_name="Vera")
        response = await api.get(f"{USERS}/1010")
        assert response.status_code == 200
        assert response.json()["first_name"] == "Vera"

    async def test_unknown_user_is_404_in_the_common_shape(self, api: httpx.AsyncClient) -> None:
        response = await api.get(f"{USERS}/424242")
        assert response.status_code == 404
        assert response.json() == {
            "detail": "User 424242 is not registered",
            "status_code": 404,
        }


class TestStatus:
    async def test_walks_the_whole_lifecycle(
        self, api: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        user = await register(api, 1020)
        for status in ("onboarding", "training", "trained", "active", "churned", "active"):
            response = await set_status(api, 1020, status)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == status
        actions = await session.scalars(
            select(UserLog.details["to"].astext)
            .where(UserLog.user_id == user["id"], UserLog.action == "status_changed")
            .order_by(UserLog.id)
        )
        assert actions.all() == ["onboarding", "training", "trained", "active", "churned", "active"]

    @pytest.mark.parametrize(
        ("path", "target"),
        [((), "active"), ((), "trained"), (("onboarding",), "new"), (("onboarding",), "churned")],
    )
    async def test_illegal_transition_is_409(
        self, api: httpx.AsyncClient, path: tuple[str, ...], target: str
    ) -> None:
        await register(api, 1021)
        for status in path:
            await set_status(api, 1021, status)
        response = await set_status(api, 1021, target)
        assert response.status_code == 409
        assert "Illegal status transition" in response.json()["detail"]
        assert (await api.get(f"{USERS}/1021")).json()["status"] == (path[-1] if path else "new")

    async def test_repeating_the_current_status_is_a_no_op(self, api: httpx.AsyncClient) -> None:
        await register(api, 1022)
        assert (await set_status(api, 1022, "onboarding")).status_code == 200
        assert (await set_status(api, 1022, "onboarding")).status_code == 200

    async def test_unknown_status_is_422(self, api: httpx.AsyncClient) -> None:
        await register(api, 1023)
        assert (await set_status(api, 1023, "superuser")).status_code == 422

    async def test_unknown_user_is_404(self, api: httpx.AsyncClient) -> None:
        assert (await set_status(api, 5555, "onboarding")).status_code == 404


class TestLanguage:
    async def test_stores_the_chosen_language(self, api: httpx.AsyncClient) -> None:
        await register(api, 1030, language_code="en")
        response = await api.patch(f"{USERS}/1030", json={"language": "ru"})
        assert response.status_code == 200
        assert response.json()["language"] == "ru"
        assert (await api.get(f"{USERS}/1030")).json()["language"] == "ru"

    async def test_refuses_other_languages(self, api: httpx.AsyncClient) -> None:
        await register(api, 1031)
        assert (await api.patch(f"{USERS}/1031", json={"language": "de"})).status_code == 422

    async def test_refuses_writing_status_or_role(self, api: httpx.AsyncClient) -> None:
        await register(api, 1032)
        response = await api.patch(f"{USERS}/1032", json={"role": "admin"})
        assert response.status_code == 422
        assert (await api.get(f"{USERS}/1032")).json()["role"] == "user"


class TestAdminList:
    async def test_admin_lists_and_filters(self, api: httpx.AsyncClient) -> None:
        await register(api, ADMIN_ID)
        for telegram_id in (1040, 1041, 1042):
            await register(api, telegram_id)
        await set_status(api, 1041, "onboarding")
        response = await api.get(
            "/api/v1/admin/users",
            params={"status": "onboarding"},
            headers={ACTING_USER_HEADER: str(ADMIN_ID)},
        )
        assert response.status_code == 200
        page = response.json()
        assert [user["telegram_id"] for user in page["items"]] == [1041]
        assert page["total"] == 1

    async def test_paginates(self, api: httpx.AsyncClient) -> None:
        await register(api, ADMIN_ID)
        for telegram_id in range(1050, 1055):
            await register(api, telegram_id)
        response = await api.get(
            "/api/v1/admin/users",
            params={"limit": 2, "offset": 2, "role": "user"},
            headers={ACTING_USER_HEADER: str(ADMIN_ID)},
        )
        page = response.json()
        assert [user["telegram_id"] for user in page["items"]] == [1052, 1053]
        assert page["total"] == 5

    async def test_non_admin_is_403(self, api: httpx.AsyncClient) -> None:
        await register(api, 1060)
        response = await api.get("/api/v1/admin/users", headers={ACTING_USER_HEADER: "1060"})
        assert response.status_code == 403

    async def test_missing_acting_user_is_401(self, api: httpx.AsyncClient) -> None:
        assert (await api.get("/api/v1/admin/users")).status_code == 401

    async def test_limit_is_bounded(self, api: httpx.AsyncClient) -> None:
        await register(api, ADMIN_ID)
        response = await api.get(
            "/api/v1/admin/users",
            params={"limit": 10_000},
            headers={ACTING_USER_HEADER: str(ADMIN_ID)},
        )
        assert response.status_code == 422


class TestServiceToken:
    @pytest.mark.parametrize("token", [None, "", "wrong-token"])
    async def test_calls_without_the_right_token_are_401(
        self, api: httpx.AsyncClient, token: str | None
    ) -> None:
        headers = {"X-Service-Token": token} if token is not None else {}
        api.headers.pop("X-Service-Token")
        response = await api.get(f"{USERS}/1", headers=headers)
        assert response.status_code == 401
        assert response.json()["status_code"] == 401

    async def test_health_needs_no_token(self, api: httpx.AsyncClient) -> None:
        api.headers.pop("X-Service-Token")
        assert (await api.get("/health")).json()["status"] == "ok"

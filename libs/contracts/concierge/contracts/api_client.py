"""Typed client for ``api``: the one way other services call it."""

from __future__ import annotations

from concierge.common.http_client import ServiceClient, ServiceResponseError
from concierge.contracts.identity import (
    UserPage,
    UserRead,
    UserRegister,
    UserRole,
    UserStatus,
    UserStatusChange,
    UserUpdate,
)

ACTING_USER_HEADER = "X-Acting-User"
USERS = "/api/v1/users"


class ApiClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def ping(self) -> None:
        await self.http.request("GET", "/health")

    async def register_user(self, user: UserRegister) -> UserRead:
        # Registering is an upsert keyed by telegram_id, so a retry cannot duplicate.
        response = await self.http.request(
            "POST", USERS, json=user.model_dump(mode="json"), idempotent=True
        )
        return UserRead.model_validate(response.json())

    async def get_user(self, telegram_id: int) -> UserRead | None:
        try:
            response = await self.http.request("GET", f"{USERS}/{telegram_id}")
        except ServiceResponseError as exc:
            if exc.status_code == 404:
                return None
            raise
        return UserRead.model_validate(response.json())

    async def update_user(self, telegram_id: int, update: UserUpdate) -> UserRead:
        response = await self.http.request(
            "PATCH",
            f"{USERS}/{telegram_id}",
            json=update.model_dump(mode="json", exclude_unset=True),
            idempotent=True,
        )
        return UserRead.model_validate(response.json())

    async def change_status(self, telegram_id: int, status: UserStatus) -> UserRead:
        response = await self.http.request(
            "PUT",
            f"{USERS}/{telegram_id}/status",
            json=UserStatusChange(status=status).model_dump(mode="json"),
        )
        return UserRead.model_validate(response.json())

    async def list_users(
        self,
        acting_admin: int,
        *,
        role: UserRole | None = None,
        status: UserStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> UserPage:
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        if role:
            params["role"] = role.value
        if status:
            params["status"] = status.value
        response = await self.http.request(
            "GET",
            "/api/v1/admin/users",
            params=params,
            headers={ACTING_USER_HEADER: str(acting_admin)},
        )
        return UserPage.model_validate(response.json())

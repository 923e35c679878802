from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, status

from concierge.api.identity.deps import CurrentAdmin, IdentityServiceDep, SignInServiceDep
from concierge.api.identity.schemas import (
    UserPage,
    UserRead,
    UserRegister,
    UserStatusChange,
    UserUpdate,
)
from concierge.common.auth import require_service_token
from concierge.common.openapi import raises
from concierge.contracts.identity import UserRole, UserStatus
from concierge.contracts.market import AuthTokenRead

# Service-to-service (the bot): the service token is required.
router = APIRouter(tags=["identity"], dependencies=[Depends(require_service_token)])
# The Mini App: Telegram's signed launch data is the credential.
webapp_router = APIRouter(tags=["auth"])
TelegramIdPath = Annotated[int, Path(gt=0, lt=2**52)]


@router.post("/users", response_model=UserRead, status_code=status.HTTP_200_OK)
async def register_user(data: UserRegister, identity: IdentityServiceDep) -> UserRead:
    """Register a Telegram user, or refresh their profile if already known (idempotent)."""
    return UserRead.model_validate(await identity.register(data))


@router.get("/users/{telegram_id}", response_model=UserRead)
@raises(404)
async def get_user(telegram_id: TelegramIdPath, identity: IdentityServiceDep) -> UserRead:
    return UserRead.model_validate(await identity.get(telegram_id))


@router.patch("/users/{telegram_id}", response_model=UserRead)
@raises(404)
async def update_user(
    telegram_id: TelegramIdPath, update: UserUpdate, identity: IdentityServiceDep
) -> UserRead:
    """Change the user's preferences (for now, the language the bot talks in)."""
    return UserRead.model_validate(await identity.update(telegram_id, update))


@router.put("/users/{telegram_id}/status", response_model=UserRead)
@raises(404, 409)
async def change_status(
    telegram_id: TelegramIdPath, change: UserStatusChange, identity: IdentityServiceDep
) -> UserRead:
    """Move the user along their lifecycle; an illegal transition is a 409."""
    return UserRead.model_validate(await identity.change_status(telegram_id, change.status))


@router.get("/admin/users", response_model=UserPage)
async def list_users(
    _: CurrentAdmin,
    identity: IdentityServiceDep,
    role: UserRole | None = None,
    status: UserStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> UserPage:
    """Admins only: users filtered by role and status, oldest first."""
    users, total = await identity.list_users(role=role, status=status, limit=limit, offset=offset)
    return UserPage(
        items=[UserRead.model_validate(user) for user in users],
        total=total,
        limit=limit,
        offset=offset,
    )


@webapp_router.post("/auth/telegram", response_model=AuthTokenRead)
@raises(401)
async def sign_in(
    sign_in: SignInServiceDep, authorization: Annotated[str | None, Header()] = None
) -> AuthTokenRead:
    """Exchange a Mini App's initData (``Authorization: tma <initData>``) for a bearer
    token (at most 15 minutes)."""
    return await sign_in.sign_in(authorization)

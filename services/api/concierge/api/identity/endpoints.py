from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from concierge.api.identity.deps import CurrentAdmin, IdentityServiceDep
from concierge.api.identity.schemas import (
    UserPage,
    UserRead,
    UserRegister,
    UserStatusChange,
    UserUpdate,
)
from concierge.common.auth import require_service_token
from concierge.contracts.identity import UserRole, UserStatus

router = APIRouter(tags=["identity"], dependencies=[Depends(require_service_token)])
TelegramIdPath = Annotated[int, Path(gt=0, lt=2**52)]


@router.post("/users", response_model=UserRead, status_code=status.HTTP_200_OK)
async def register_user(data: UserRegister, identity: IdentityServiceDep) -> UserRead:
    """Register a Telegram user, or refresh their profile if already known (idempotent)."""
    return UserRead.model_validate(await identity.register(data))


@router.get("/users/{telegram_id}", response_model=UserRead)
async def get_user(telegram_id: TelegramIdPath, identity: IdentityServiceDep) -> UserRead:
    return UserRead.model_validate(await identity.get(telegram_id))


@router.patch("/users/{telegram_id}", response_model=UserRead)
async def update_user(
    telegram_id: TelegramIdPath, update: UserUpdate, identity: IdentityServiceDep
) -> UserRead:
    """Change the user's preferences (for now, the language the bot talks in)."""
    return UserRead.model_validate(await identity.update(telegram_id, update))


@router.put("/users/{telegram_id}/status", response_model=UserRead)
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

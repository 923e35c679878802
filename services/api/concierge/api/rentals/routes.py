"""What the rentals desk's endpoint modules share: their routers (the landlord's, and the
service-token one under ``/internal/rentals``) and the path ids."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from concierge.api.params import id_path
from concierge.common.auth import require_service_token

AccountId = Annotated[int, id_path("The account's id")]
ItemId = Annotated[int, id_path("The item's id")]
ChatId = Annotated[int, id_path("The chat's id")]


def landlord_router(prefix: str = "/rentals") -> APIRouter:
    """Routes a landlord (or co-host) calls, acting as themselves."""
    return APIRouter(prefix=prefix, tags=["rentals"])


def internal_router() -> APIRouter:
    """Routes only our services call (the gateway, the worker): the service token."""
    return APIRouter(
        prefix="/internal/rentals", tags=["rentals"], dependencies=[Depends(require_service_token)]
    )

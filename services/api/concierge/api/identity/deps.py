from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from concierge.api.identity.models import User
from concierge.api.identity.repository import UserRepository
from concierge.api.identity.service import IdentityService
from concierge.common.errors import Unauthorized
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.db import SessionDep


def get_identity_service(request: Request, session: SessionDep) -> IdentityService:
    return IdentityService(UserRepository(session), request.app.state.settings.admin_telegram_ids)


IdentityServiceDep = Annotated[IdentityService, Depends(get_identity_service)]


async def get_current_admin(
    identity: IdentityServiceDep,
    acting_user: Annotated[str | None, Header(alias=ACTING_USER_HEADER)] = None,
) -> User:
    if acting_user is None or not acting_user.isdigit():
        raise Unauthorized(f"Admin calls need the {ACTING_USER_HEADER} header")
    return await identity.require_admin(int(acting_user))


CurrentAdmin = Annotated[User, Depends(get_current_admin)]

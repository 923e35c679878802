"""Mini App sign-in: ``Authorization: tma <initData>`` in, a short-lived bearer token out.

Re-sending initData (while it is fresh, 1 h) refreshes the token. The user is
registered or updated from initData, as ``/start`` does in the bot.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from concierge.api.identity.deps import IdentityServiceDep, token_issuer
from concierge.api.identity.telegram_auth import (
    MAX_INIT_DATA_LENGTH,
    InvalidInitData,
    validate_init_data,
)
from concierge.common.errors import Unauthorized
from concierge.contracts.identity import UserRead, UserRegister
from concierge.contracts.market import AuthTokenRead

router = APIRouter(tags=["auth"])
SCHEME = "tma"


def _init_data(authorization: str | None) -> str:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != SCHEME or not value.strip():
        raise Unauthorized(f"Send Telegram's initData as 'Authorization: {SCHEME} <initData>'")
    if len(value) > MAX_INIT_DATA_LENGTH:
        raise Unauthorized("initData is too long")
    return value.strip()


def _registration(user: dict[str, object]) -> UserRegister:
    def text(key: str, limit: int) -> str | None:
        value = user.get(key)
        return value[:limit] if isinstance(value, str) and value else None

    return UserRegister(
        telegram_id=int(str(user["id"])),
        username=text("username", 32),
        first_name=text("first_name", 64),
        last_name=text("last_name", 64),
        language_code=text("language_code", 35),
    )


@router.post("/auth/telegram", response_model=AuthTokenRead)
async def sign_in(
    request: Request,
    identity: IdentityServiceDep,
    authorization: Annotated[str | None, Header()] = None,
) -> AuthTokenRead:
    """Exchange a Mini App's initData for a bearer token (at most 15 minutes)."""
    settings = request.app.state.settings
    try:
        launch = validate_init_data(_init_data(authorization), settings.token)
        registration = _registration(launch.user)
    except (InvalidInitData, ValueError) as exc:
        raise Unauthorized(f"Telegram launch data refused: {exc}") from exc
    user = await identity.register(registration)
    issued = token_issuer(request).issue(user.telegram_id)
    return AuthTokenRead(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        user=UserRead.model_validate(user),
    )

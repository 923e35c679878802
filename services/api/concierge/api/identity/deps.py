from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from concierge.api.identity.repository import UserRepository
from concierge.api.identity.service import IdentityService, SignInService
from concierge.api.identity.tokens import InvalidToken, TokenIssuer
from concierge.common.auth import SERVICE_TOKEN_HEADER, tokens_match
from concierge.common.errors import Forbidden, NotFound, Unauthorized
from concierge.common.openapi import raises
from concierge.contracts.api_client import ACTING_USER_HEADER
from concierge.contracts.identity import UserRole
from concierge.db import SessionDep
from concierge.domain.identity.models import User


def get_identity_service(request: Request, session: SessionDep) -> IdentityService:
    return IdentityService(UserRepository(session), request.app.state.settings.admin_telegram_ids)


IdentityServiceDep = Annotated[IdentityService, Depends(get_identity_service)]


@raises(401, 403)
async def get_current_admin(
    identity: IdentityServiceDep,
    acting_user: Annotated[str | None, Header(alias=ACTING_USER_HEADER)] = None,
) -> User:
    if acting_user is None or not acting_user.isdigit():
        raise Unauthorized(f"Admin calls need the {ACTING_USER_HEADER} header")
    return await identity.require_admin(int(acting_user))


CurrentAdmin = Annotated[User, Depends(get_current_admin)]


def token_issuer(request: Request) -> TokenIssuer:
    settings = request.app.state.settings
    return TokenIssuer(settings.jwt_secret.get_secret_value(), settings.jwt_lifetime_s)


@raises(401)
async def get_web_user(
    request: Request,
    identity: IdentityServiceDep,
    authorization: Annotated[str | None, Header()] = None,
    service_token: Annotated[str | None, Header(alias=SERVICE_TOKEN_HEADER)] = None,
    acting_user: Annotated[str | None, Header(alias=ACTING_USER_HEADER)] = None,
) -> User:
    """The caller: the Mini App's user, from ``Authorization: Bearer <token>`` (POST
    /auth/telegram); or, without one, the user the bot acts for (the service token and
    ``X-Acting-User: <telegram id>``), so the bot's buttons do what the Mini App does."""
    if authorization is None and service_token is not None:
        return await _acted_for(request, identity, service_token, acting_user)
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Sign in first: POST /api/v1/auth/telegram, then send the Bearer token")
    try:
        telegram_id = token_issuer(request).verify(token.strip())
    except InvalidToken as exc:
        raise Unauthorized(f"The session token is invalid or expired: {exc}") from exc
    try:
        return await identity.get(telegram_id)
    except NotFound as exc:
        raise Unauthorized("The session token names an unknown user") from exc


async def _acted_for(
    request: Request, identity: IdentityService, service_token: str, acting_user: str | None
) -> User:
    if not tokens_match(service_token, request.app.state.service_token):
        raise Unauthorized("Missing or wrong service token")
    if acting_user is None or not acting_user.isdigit() or not 0 < int(acting_user) < 2**52:
        raise Unauthorized(f"A service acting for a user names them in {ACTING_USER_HEADER}")
    try:
        return await identity.get(int(acting_user))
    except NotFound as exc:
        raise Unauthorized(f"{ACTING_USER_HEADER} names an unknown user") from exc


WebUser = Annotated[User, Depends(get_web_user)]


@raises(403)
async def get_web_admin(user: WebUser) -> User:
    if user.role != UserRole.ADMIN:
        raise Forbidden("Only admins may do this")
    return user


WebAdmin = Annotated[User, Depends(get_web_admin)]


def get_sign_in_service(request: Request, identity: IdentityServiceDep) -> SignInService:
    return SignInService(identity, request.app.state.settings.token, token_issuer(request))


SignInServiceDep = Annotated[SignInService, Depends(get_sign_in_service)]

"""Service-to-service authentication with a shared token."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from concierge.common.errors import Unauthorized
from concierge.common.openapi import raises

SERVICE_TOKEN_HEADER = "X-Service-Token"  # noqa: S105 (a header name)


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison that treats a missing value as a mismatch."""
    if not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


@raises(401)
async def require_service_token(
    request: Request,
    token: Annotated[str | None, Header(alias=SERVICE_TOKEN_HEADER)] = None,
) -> None:
    expected: str = request.app.state.service_token
    if not tokens_match(token, expected):
        raise Unauthorized(
            "Missing or wrong service token", headers={"WWW-Authenticate": SERVICE_TOKEN_HEADER}
        )


ServiceCaller = Annotated[None, Depends(require_service_token)]

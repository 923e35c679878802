"""Service-to-service authentication with a shared token."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from concierge.common.errors import Unauthorized
from concierge.common.openapi import raises

SERVICE_TOKEN_HEADER = "X-Service-Token"  # noqa: S105 (a header name)


def tokens_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a credential someone sent with the one expected.

    A missing value is a mismatch, and so is any text at all: compared as UTF-8 bytes
    (``hmac.compare_digest`` refuses non-ASCII ``str``), so forged values with odd
    characters are a wrong credential, never an error."""
    if not given:
        return False
    return hmac.compare_digest(_utf8(given), _utf8(expected))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


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

"""Short-lived session tokens for the Mini App (JWT, HS256 only).

A validated initData is exchanged for a token of at most 15 minutes; the app
sends it as ``Authorization: Bearer``. Every claim that matters is required
(exp, iat, sub, aud, iss) and the algorithm is fixed, so ``alg=none`` or a token
signed some other way is refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
ISSUER = "concierge-api"
AUDIENCE = "concierge-webapp"
MAX_LIFETIME_S = 15 * 60
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]


class InvalidToken(ValueError):
    pass


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


class TokenIssuer:
    def __init__(self, secret: str, lifetime_s: int = MAX_LIFETIME_S) -> None:
        if len(secret.encode()) < 32:
            raise ValueError("the JWT secret must be at least 32 bytes")
        self.secret = secret
        self.lifetime_s = min(lifetime_s, MAX_LIFETIME_S)

    def issue(self, telegram_id: int, *, now: float | None = None) -> IssuedToken:
        issued_at = int(time.time() if now is None else now)
        claims = {
            "sub": str(telegram_id),
            "iat": issued_at,
            "exp": issued_at + self.lifetime_s,
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        return IssuedToken(jwt.encode(claims, self.secret, algorithm=ALGORITHM), self.lifetime_s)

    def verify(self, token: str) -> int:
        """The Telegram id the token was issued to; InvalidToken otherwise."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": REQUIRED_CLAIMS},
            )
            return int(claims["sub"])
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidToken(str(exc)) from exc

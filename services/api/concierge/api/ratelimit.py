"""Rate limits on the REST API (``/api/v1``): per client IP, and per signed-in user.

Moving windows of the ``limits`` package in Redis, shared by every api process:

- a call with a valid Mini App session token (``Authorization: Bearer``) counts against
  its user only, wherever it comes from (API_RATE_LIMIT_PER_USER, 200/minute): users
  behind one carrier NAT do not throttle each other;
- every other call (no token, or an invalid or expired one) counts against the client's
  IP (API_RATE_LIMIT_PER_IP, 100/minute);
- callers with the right ``X-Service-Token`` (bot, worker) are not limited: they are
  ours and pace themselves. A wrong token is an anonymous call, counted per IP;
- signed links (``/api/v1/media/…`` images, ``/api/v1/uploads/…`` uploads) are not
  counted: the signature already limits them, and a page of thumbnails would
  otherwise use up the budget.

The client IP is what uvicorn resolved (``scope["client"]``): ``X-Forwarded-For`` is
honoured only from FORWARDED_ALLOW_IPS (nginx; see concierge.common.runner), never read
here. An exhausted limit answers 429 in the usual error shape with ``Retry-After`` (whole
seconds until the oldest counted call leaves the window). Redis trouble lets the call
through with a warning: a lost counter must not become an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from concierge.api.identity.tokens import InvalidToken, TokenIssuer
from concierge.api.settings import ApiSettings
from concierge.common.auth import tokens_match
from concierge.common.errors import error_response
from concierge.common.middleware import RequestContextMiddleware

log = logging.getLogger(__name__)

LIMITED_PREFIX = "/api/v1"
SIGNED_LINK_PREFIXES = ("/api/v1/media/", "/api/v1/uploads/")
KEY_PREFIX = "ratelimit"
REDIS_TIMEOUT_S = 0.5  # a hanging Redis must not hold every request
WARN_EVERY_S = 30.0  # during an outage, one warning per this many seconds


@dataclass(frozen=True)
class Caller:
    """Whom a call counts against: ``kind`` is "user" or "ip"; None means exempt."""

    kind: str
    identity: str


def client_ip(scope: Scope) -> str:
    """The client's address as the server resolved it (proxy headers from trusted peers)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RateLimitMiddleware:
    """Pure ASGI: runs before the body is read, so refused calls cost one Redis round trip."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.per_ip: RateLimitItem = parse(settings.rate_limit_per_ip)
        self.per_user: RateLimitItem = parse(settings.rate_limit_per_user)
        self.tokens = TokenIssuer(settings.jwt_secret.get_secret_value(), settings.jwt_lifetime_s)
        self.service_token = settings.service_token.get_secret_value()
        self._limiter: tuple[Redis, MovingWindowRateLimiter] | None = None
        self._last_warning = -math.inf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        retry_after = await self._check(scope, self.callers(scope))
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        detail = f"Too many requests: try again in {retry_after} s"
        response = error_response(429, detail, {"Retry-After": str(retry_after)})
        await response(scope, receive, send)

    def callers(self, scope: Scope) -> list[Caller]:
        """Whom the call counts against: its user when signed in, else its IP."""
        if tokens_match(_header(scope, b"x-service-token"), self.service_token):
            return []
        scheme, _, token = (_header(scope, b"authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            with contextlib.suppress(InvalidToken):  # an invalid token counts per IP
                return [Caller("user", str(self.tokens.verify(token.strip())))]
        return [Caller("ip", client_ip(scope))]

    async def _check(self, scope: Scope, callers: list[Caller]) -> int | None:
        """Seconds to wait when a caller is over its limit; None to let the call through."""
        limiter = self._limiter_for(scope) if callers else None
        if limiter is None:
            return None
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_S):
                for caller in callers:
                    item = self.per_user if caller.kind == "user" else self.per_ip
                    if await limiter.hit(item, "api", caller.kind, caller.identity):
                        continue
                    stats = await limiter.get_window_stats(
                        item, "api", caller.kind, caller.identity
                    )
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except Exception as exc:  # any storage failure (or timeout): fail open
            self._warn(exc)
        return None

    def _limiter_for(self, scope: Scope) -> MovingWindowRateLimiter | None:
        """A limiter over the app's Redis client (opened in the lifespan), made once."""
        app = scope.get("app")
        redis: Redis | None = getattr(getattr(app, "state", None), "redis", None)
        if redis is None:  # no lifespan (some in-process tests): nothing to count in
            return None
        if self._limiter is None or self._limiter[0] is not redis:
            # The app's own connection pool: no second set of Redis connections.
            pool: dict[str, Any] = {"connection_pool": redis.connection_pool}
            storage = RedisStorage(
                "async+redis://", implementation="redispy", key_prefix=KEY_PREFIX, **pool
            )
            self._limiter = (redis, MovingWindowRateLimiter(storage))
        return self._limiter[1]

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_S:
            self._last_warning = now
            log.warning("rate limits are off: Redis did not answer (%r)", exc)


def _is_limited(path: str) -> bool:
    if path.startswith(SIGNED_LINK_PREFIXES):
        return False
    return path == LIMITED_PREFIX or path.startswith(LIMITED_PREFIX + "/")


def install_rate_limits(app: FastAPI, settings: ApiSettings) -> None:
    """Add the middleware just inside RequestContextMiddleware.

    There a 429 still gets its request id, access log line and metrics, and comes before
    InputGuardMiddleware reads the body. ``add_middleware`` would put it outermost.
    """
    if not settings.rate_limit_enabled:
        return
    classes: list[Any] = [entry.cls for entry in app.user_middleware]
    position = next((i + 1 for i, cls in enumerate(classes) if cls is RequestContextMiddleware), 0)
    app.user_middleware.insert(position, Middleware(RateLimitMiddleware, settings=settings))

"""Calls to Avito for one landlord account: the token, the retries, the errors.

A token is fetched with the account's client credentials (read from the api over HTTP
when needed, never stored here), cached in Redis until ``token_refresh_margin_s`` before
it expires, and shared by every gateway replica. A 401 drops it and refreshes once. 429
and 5xx answers and transport errors are retried with backoff (``Retry-After`` honoured,
capped at ``max_backoff_s``); a send is retried on 5xx only when Avito cannot have taken
it (429, a refused connection), so a guest never gets a text twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from prometheus_client import Counter
from redis.asyncio import Redis
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from concierge.common.http_client import ServiceClient, ServiceResponseError
from concierge.contracts.avito import CREDENTIALS_PATH, AvitoCredentials

log = logging.getLogger(__name__)

AVITO_CALLS = Counter("avito_calls_total", "Calls to Avito", ["outcome"])
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class AvitoError(Exception):
    """Avito answered an error that is the caller's (a 4xx other than 401/429)."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"Avito {status}: {message}")
        self.status = status
        self.message = message
        self.body = body


class CredentialsRevoked(Exception):
    """Avito refused the account's client id and secret (revoked, or changed)."""


class AccountUnknown(Exception):
    """The api has no such account (or no credentials for it)."""


class AvitoUnavailable(Exception):
    """Avito kept failing (5xx, 429, the network) through every retry."""


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Session:
    token: str
    user_id: int


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_message(response: httpx.Response) -> tuple[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200], None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message", ""))[:500], body
    if isinstance(error, str):
        return error[:200], body
    return str(body)[:200], body


class Credentials:
    """An account's client id and secret, read from the api (service token)."""

    def __init__(self, api: ServiceClient) -> None:
        self.api = api

    async def of(self, account_id: int) -> AvitoCredentials:
        try:
            response = await self.api.request("GET", CREDENTIALS_PATH.format(account_id=account_id))
        except ServiceResponseError as exc:
            if exc.status_code in (404, 409, 410):
                raise AccountUnknown(account_id) from exc
            raise
        return AvitoCredentials.model_validate(response.json())


class AvitoApi:
    def __init__(
        self,
        http: httpx.AsyncClient,
        redis: Redis,
        credentials: Credentials,
        *,
        refresh_margin_s: int = 600,
        attempts: int = 4,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.http = http
        self.redis = redis
        self.credentials = credentials
        self.refresh_margin_s = refresh_margin_s
        self.attempts = attempts
        self.max_backoff_s = max_backoff_s
        self._locks: dict[int, asyncio.Lock] = {}

    # --- tokens ---

    @staticmethod
    def _key(account_id: int) -> str:
        return f"avito:token:{account_id}"

    async def session(self, account_id: int, *, fresh: bool = False) -> Session:
        if not fresh and (cached := await self._cached(account_id)) is not None:
            return cached
        lock = self._locks.setdefault(account_id, asyncio.Lock())
        async with lock:  # one refresh per account in this process at a time
            if not fresh and (cached := await self._cached(account_id)) is not None:
                return cached
            credentials = await self.credentials.of(account_id)
            token, expires_in = await self.token_for(
                credentials.client_id, credentials.client_secret
            )
            user_id = credentials.avito_user_id or int(
                (await self._call(token, "GET", "/core/v1/accounts/self"))["id"]
            )
            session = Session(token, user_id)
            ttl = max(1, expires_in - self.refresh_margin_s)
            payload = orjson.dumps({"token": token, "user_id": user_id})
            await self.redis.set(self._key(account_id), payload, ex=ttl)
            return session

    async def _cached(self, account_id: int) -> Session | None:
        raw = await self.redis.get(self._key(account_id))
        if not raw:
            return None
        data = orjson.loads(raw)
        return Session(str(data["token"]), int(data["user_id"]))

    async def forget(self, account_id: int) -> None:
        await self.redis.delete(self._key(account_id))

    async def token_for(self, client_id: str, client_secret: str) -> tuple[str, int]:
        """A token for these credentials: (access_token, expires_in seconds)."""
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        response = await self._send_retrying("POST", "/token", None, data=form)
        if response.status_code in (400, 401, 403):
            AVITO_CALLS.labels("revoked").inc()
            raise CredentialsRevoked()
        body = self._json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AvitoUnavailable("Avito's token answer has no access_token")
        expires_in = body.get("expires_in")
        return token, int(expires_in) if isinstance(expires_in, int | float) else 3600

    async def account_with(self, client_id: str, client_secret: str) -> Any:
        """Onboarding: the account (accounts/self) these credentials open; nothing cached."""
        token, _ = await self.token_for(client_id, client_secret)
        return await self._call(token, "GET", "/core/v1/accounts/self")

    # --- calls ---

    async def call(
        self, account_id: int, method: str, path: str, *, resend: bool = True, **kwargs: Any
    ) -> Any:
        """Call Avito for the account; ``path`` may hold ``{uid}`` (Avito's user id).
        ``resend=False``: a 5xx is not retried (the request may have taken effect)."""
        session = await self.session(account_id)
        try:
            return await self._call(session.token, method, path, session.user_id, resend, **kwargs)
        except _Unauthorized:
            await self.forget(account_id)
            session = await self.session(account_id, fresh=True)  # one refresh, one retry
            try:
                return await self._call(
                    session.token, method, path, session.user_id, resend, **kwargs
                )
            except _Unauthorized as exc:
                raise CredentialsRevoked() from exc

    async def _call(
        self,
        token: str,
        method: str,
        path: str,
        user_id: int | None = None,
        resend: bool = True,
        **kwargs: Any,
    ) -> Any:
        if user_id is not None:
            path = path.replace("{uid}", str(user_id))
        response = await self._send_retrying(method, path, token, resend=resend, **kwargs)
        if response.status_code == 401:
            raise _Unauthorized()
        if response.status_code >= 400:
            message, body = _error_message(response)
            AVITO_CALLS.labels(str(response.status_code)).inc()
            raise AvitoError(response.status_code, message, body)
        AVITO_CALLS.labels("ok").inc()
        return self._json(response)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise AvitoUnavailable("Avito answered something that is not JSON") from exc

    async def _send_retrying(
        self, method: str, path: str, token: str | None, *, resend: bool = True, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}

        async def once() -> httpx.Response:
            try:
                response = await self.http.request(method, path, headers=headers, **kwargs)
            except httpx.ConnectError as exc:
                raise _Retryable(f"connect: {exc!r}") from exc
            except httpx.TransportError as exc:
                if not resend:
                    raise AvitoUnavailable(f"{method} {path}: {exc!r}") from exc
                raise _Retryable(f"transport: {exc!r}") from exc
            status = response.status_code
            if status == 429 or (status in RETRY_STATUS and resend):
                raise _Retryable(f"HTTP {status}", _retry_after(response))
            if status >= 500:
                raise AvitoUnavailable(f"{method} {path}: HTTP {status}")
            return response

        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=self._wait,
                retry=retry_if_exception(lambda exc: isinstance(exc, _Retryable)),
                before_sleep=_log_retry,
                reraise=True,
            ):
                with attempt:
                    return await once()
        except _Retryable as exc:
            AVITO_CALLS.labels("unavailable").inc()
            raise AvitoUnavailable(f"{method} {path}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_backoff_s)
        ceiling = min(self.max_backoff_s, 0.2 * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)


class _Unauthorized(Exception):
    pass


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("retrying an Avito call (attempt %d): %s", state.attempt_number, exc)

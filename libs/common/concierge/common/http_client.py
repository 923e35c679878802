"""An httpx client for calls between our services.

Every call has a timeout, carries the service token and the current request id,
and is retried with jittered exponential backoff when it is safe to repeat: the
method is idempotent (or the caller says the POST is) and the failure is a
connection problem, a timeout, a 429 or a 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from concierge.common.auth import SERVICE_TOKEN_HEADER
from concierge.common.logging import REQUEST_ID_HEADER, current_request_id

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


class ServiceUnavailable(Exception):
    """The other service could not be reached or kept failing."""


class ServiceResponseError(Exception):
    """The other service answered with an error status that is the caller's to handle."""

    def __init__(
        self,
        status_code: int,
        detail: Any,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail
        self.code = code  # the error body's code, when it has one
        self.params = params or {}


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and (exc.response.status_code in RETRYABLE_STATUS)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("retrying service call (attempt %d): %r", state.attempt_number, exc)


class ServiceClient:
    def __init__(
        self,
        base_url: str,
        service_token: str,
        *,
        timeout: float = 5.0,
        attempts: int = 4,
        max_backoff: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.attempts = attempts
        self.max_backoff = max_backoff
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            headers={SERVICE_TOKEN_HEADER: service_token},
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool | None = None,
        coded_statuses: frozenset[int] = frozenset(),
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request; raise ServiceResponseError on 4xx, ServiceUnavailable otherwise.

        ``coded_statuses``: 5xx/429 statuses that are the other service's answer, not an
        outage, when their body has a ``code`` (the user-bot's 503 ``flood_wait``): raised
        as ServiceResponseError at once, never retried."""
        method = method.upper()
        retry = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts if retry else 1),
                wait=wait_random_exponential(multiplier=0.1, max=self.max_backoff),
                retry=retry_if_exception(_is_retryable),
                before_sleep=_log_retry,
                reraise=True,
            ):
                with attempt:
                    response = await self._send(method, path, coded_statuses, **kwargs)
        except _CodedAnswer as exc:
            raise _as_service_error(exc.response, coded=True) from None
        except httpx.HTTPStatusError as exc:
            raise _as_service_error(exc.response) from exc
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"{method} {path}: {exc!r}") from exc
        return response

    async def stream_lines(
        self, method: str, path: str, *, read_timeout: float = 90.0, **kwargs: Any
    ) -> AsyncIterator[str]:
        """The answer's lines as they come (NDJSON), never retried (a stream may have had
        effects); a 4xx is ServiceResponseError, anything else ServiceUnavailable.
        ``read_timeout``: the longest silence between two lines."""
        headers = dict(kwargs.pop("headers", None) or {})
        request_id = current_request_id()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        timeout = httpx.Timeout(read_timeout, connect=3.0)
        try:
            async with self._http.stream(
                method.upper(), path, headers=headers, timeout=timeout, **kwargs
            ) as response:
                if response.status_code >= 400:
                    await response.aread()  # a 5xx with a ``code`` is an answer, not an outage
                    raise _as_service_error(response, coded=_has_code(response))
                async for line in response.aiter_lines():
                    if line.strip():
                        yield line
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"{method} {path}: {exc!r}") from exc

    async def _send(
        self, method: str, path: str, coded_statuses: frozenset[int], **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        request_id = current_request_id()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        response = await self._http.request(method, path, headers=headers, **kwargs)
        if response.status_code in coded_statuses and _has_code(response):
            raise _CodedAnswer(response)
        response.raise_for_status()
        return response


class _CodedAnswer(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _has_code(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("code"), str)


def _as_service_error(response: httpx.Response, *, coded: bool = False) -> Exception:
    if not coded and (response.status_code >= 500 or response.status_code == 429):
        return ServiceUnavailable(f"{response.request.url.path}: HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        return ServiceResponseError(response.status_code, response.text[:500])
    if not isinstance(body, dict):
        return ServiceResponseError(response.status_code, body)
    code = body.get("code")
    params = body.get("params")
    return ServiceResponseError(
        response.status_code,
        body.get("detail"),
        code if isinstance(code, str) else None,
        params if isinstance(params, dict) else None,
    )

"""The one way this lib talks HTTP: through the SSRF-guarded client of
``concierge.common.safe_http``, every body read with a cap, every failure a typed
:mod:`concierge.media.errors` whose message names no URL (links may carry API keys).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Container, Mapping
from typing import Any

import httpx

from concierge.common.safe_http import (
    ACCEPT_ENCODING,
    ResponseTooLarge,
    UnsafeUrl,
    host_port,
    read_capped,
    safe_client,
    split_url,
)
from concierge.media.errors import AddressRefused, BadResponse, TooLarge, Unreachable

DEFAULT_LIMIT = 2 * 1024 * 1024  # JSON answers; Torznab searches have their own cap


def allowed_for(
    url: str, *, allowed: frozenset[str] = frozenset(), allow_private: bool = False
) -> frozenset[str]:
    """The ``host:port`` pairs the guard lets through for this URL: the deployment's
    allow-list, plus this URL's own when the person marked it as theirs on a LAN."""
    if not allow_private:
        return allowed
    try:
        host, port = split_url(url)
    except UnsafeUrl as exc:
        raise AddressRefused(str(exc)) from None
    return allowed | {host_port(host, port)}


def media_client(
    url: str,
    *,
    allowed: frozenset[str] = frozenset(),
    allow_private: bool = False,
    timeout: float = 15.0,
    headers: dict[str, str] | None = None,
    follow_redirects: bool = True,
) -> httpx.AsyncClient:
    client = safe_client(
        allowed=allowed_for(url, allowed=allowed, allow_private=allow_private),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        headers={"Accept-Encoding": ACCEPT_ENCODING, **(headers or {})},
        max_redirects=3,
    )
    client.follow_redirects = follow_redirects
    return client


def host_of(url: str) -> str:
    """The host to name in messages (never the path or query, where keys live)."""
    try:
        return split_url(url)[0]
    except UnsafeUrl:
        return "?"


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    limit: int = DEFAULT_LIMIT,
    what: str = "the service",
    params: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> tuple[httpx.Response, bytes]:
    """Send, read the body up to ``limit`` bytes, map transport failures to typed errors.
    Status codes are the caller's to judge."""
    try:
        async with client.stream(method, url, params=params, **kwargs) as response:
            body = await read_capped(response, limit)
    except UnsafeUrl as exc:
        raise AddressRefused(f"{what}: {exc}") from None
    except ResponseTooLarge:
        raise TooLarge(f"{what} answered more than {limit // 1024} KB") from None
    except httpx.TimeoutException:
        raise Unreachable(f"{what} at {host_of(url)} did not answer in time") from None
    except httpx.DecodingError:
        raise Unreachable(f"{what} at {host_of(url)} sent an undecodable body") from None
    except (httpx.HTTPError, OSError) as exc:
        raise Unreachable(
            f"{what} at {host_of(url)} is unreachable ({type(exc).__name__})"
        ) from None
    return response, body


def check_status(status: int, what: str, *, ok: Container[int] = (200,)) -> None:
    """The end every client's judging of a status shares, once its own cases (auth, 404,
    429) are said: a 5xx is ``Unreachable``, anything else not in ``ok`` a ``BadResponse``."""
    if status >= 500:
        raise Unreachable(f"{what} answered {status}")
    if status not in ok:
        raise BadResponse(f"{what} answered {status}")


# --- keys never reach the logs ------------------------------------------------------

_KEY_IN_URL = re.compile(r"((?:api_?key|passkey|jackett_apikey|apitoken|token)=)[^&\s\"']+", re.I)


class RedactKeys(logging.Filter):
    """httpx logs each request's URL (at INFO); Torznab's carries the API key in its
    query. This filter, on httpx's logger, masks such parameters whatever the level."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _KEY_IN_URL.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


for _name in ("httpx", "httpcore"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, RedactKeys) for f in _logger.filters):
        _logger.addFilter(RedactKeys())

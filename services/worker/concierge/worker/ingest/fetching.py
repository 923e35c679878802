"""Fetching a source: a conditional GET through the SSRF-guarded client, with a
deadline for the whole exchange, a size cap while streaming and a content-type check.

Whatever goes wrong with the other side (refused address, timeout, 4xx/5xx, too
large, binary) is a :class:`FetchError` with a message fit for ``sources.last_error``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import httpx

from concierge.common.safe_http import (
    ACCEPT_ENCODING,
    ResponseTooLarge,
    UnsafeUrl,
    read_capped,
    safe_client,
)
from concierge.worker.ingest.polling import max_age_s, retry_after_s

USER_AGENT = "ConciergeBot/0.1 (self-hosted feed reader)"
ACCEPT = {
    "rss": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
    "application/feed+json;q=0.8, */*;q=0.1",
    "web": "text/html, application/xhtml+xml;q=0.9, */*;q=0.1",
}
TEXT_TYPES = {
    "rss": ("text/", "application/xml", "application/json", "+xml", "+json"),
    "web": ("text/html", "application/xhtml+xml"),
}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FetchError(Exception):
    """The source could not be read this time; recorded on the source, retried later."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Fetched:
    status: int  # 200, or 304 (not modified: nothing to do)
    url: str  # after redirects
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    max_age_s: float | None  # Cache-Control: max-age

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class FetchLimits:
    timeout_s: float
    max_bytes: int
    allowed_private: frozenset[str]


def conditional_headers(kind: str, etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": ACCEPT.get(kind, "*/*"),
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _looks_binary(body: bytes) -> bool:
    head = body[:2048]
    return b"\x00" in head and not head.startswith(_UTF16_BOMS)


def _check_type(kind: str, content_type: str) -> None:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type and not any(
        media_type.startswith(allowed) or media_type.endswith(allowed)
        for allowed in TEXT_TYPES.get(kind, ("text/",))
    ):
        raise FetchError(f"unexpected content type {media_type}")


async def fetch(
    url: str,
    kind: str,
    limits: FetchLimits,
    *,
    etag: str | None,
    last_modified: str | None,
    now: datetime,
) -> Fetched:
    """GET the source; 304 when the validators still hold. FetchError otherwise."""
    phase_timeout = httpx.Timeout(min(10.0, limits.timeout_s))
    headers = conditional_headers(kind, etag, last_modified)
    try:
        async with (
            asyncio.timeout(limits.timeout_s),
            safe_client(allowed=limits.allowed_private, timeout=phase_timeout) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            return await _read(response, kind, limits, now)
    except TimeoutError:
        raise FetchError(f"no complete answer within {limits.timeout_s:g} s") from None
    except UnsafeUrl as exc:
        raise FetchError(f"refused: {exc}") from None
    except ResponseTooLarge as exc:
        raise FetchError(str(exc)) from None
    except httpx.TooManyRedirects:
        raise FetchError("too many redirects") from None
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out ({type(exc).__name__})") from None
    except httpx.UnsupportedProtocol as exc:
        raise FetchError(f"refused: {exc}") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch: {type(exc).__name__}: {exc}"[:300]) from None


async def _read(response: httpx.Response, kind: str, limits: FetchLimits, now: datetime) -> Fetched:
    headers = response.headers
    if response.status_code >= 400:
        wait = retry_after_s(headers.get("retry-after"), now)
        suffix = f", retry after {wait:g} s" if wait is not None else ""
        raise FetchError(f"HTTP {response.status_code}{suffix}", retry_after_s=wait)
    common = {
        "url": str(response.url),
        "etag": headers.get("etag"),
        "last_modified": headers.get("last-modified"),
        "max_age_s": max_age_s(headers.get("cache-control")),
    }
    if response.status_code == 304:
        return Fetched(status=304, body=b"", content_type="", **common)
    if response.status_code != 200:
        raise FetchError(f"unexpected HTTP {response.status_code}")
    content_type = headers.get("content-type", "")
    _check_type(kind, content_type)
    body = await read_capped(response, limits.max_bytes)
    if _looks_binary(body):
        raise FetchError("binary content, not text")
    return Fetched(status=200, body=body, content_type=content_type, **common)

"""What every slot provider does, and how it says what went wrong.

A provider reads a catalog (offices, services) and the free slots of one office and
service between two dates. It never books and never answers a captcha: a captcha
demand is :class:`CaptchaDemanded`, which pauses the target and sends people to the
official page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import httpx

from concierge.common.safe_http import ResponseTooLarge, UnsafeUrl, read_capped

MAX_BODY = 2 * 1024 * 1024
STOP_STATUSES = frozenset({403, 418, 429})  # the provider wants us gone: back off hard


class ProviderError(Exception):
    """The provider did not answer usably (recorded on the target as its reason)."""


class RateLimited(ProviderError):
    """403/418/429 or ``rateLimitExceeded``: the circuit breaker opens."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CaptchaDemanded(ProviderError):
    """The provider asks for a captcha: people go on by hand; we never solve it."""


@dataclass(frozen=True)
class Office:
    id: str
    name: str
    service_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Service:
    id: str
    name: str


@dataclass(frozen=True)
class Catalog:
    offices: list[Office]
    services: list[Service]


@dataclass(frozen=True)
class Query:
    office: str
    service: str
    start: date
    end: date


def configured_catalog(config: dict[str, Any]) -> Catalog:
    """Offices and services an admin listed in the provider's config (portals without a
    catalog of their own)."""
    offices = [
        Office(
            str(o["id"]),
            str(o.get("name") or o["id"])[:300],
            [str(s) for s in o.get("service_ids", [])],
        )
        for o in config.get("offices") or []
        if isinstance(o, dict) and "id" in o
    ]
    services = [
        Service(str(s["id"]), str(s.get("name") or s["id"])[:300])
        for s in config.get("services") or []
        if isinstance(s, dict) and "id" in s
    ]
    return Catalog(offices, services)


class Provider(Protocol):
    async def catalog(self, http: httpx.AsyncClient) -> Catalog: ...

    async def slots(self, http: httpx.AsyncClient, query: Query) -> list[datetime]: ...


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


async def fetch(
    http: httpx.AsyncClient, url: str, params: dict[str, Any] | None = None
) -> tuple[httpx.Response, bytes]:
    """GET with a capped body; 403/418/429 → RateLimited, other non-2xx → ProviderError."""
    try:
        async with http.stream("GET", url, params=params) as response:
            if response.status_code in STOP_STATUSES:
                raise RateLimited(
                    f"HTTP {response.status_code} from {response.url.host}",
                    _retry_after(response),
                )
            body = await read_capped(response, MAX_BODY)
    except ResponseTooLarge as exc:
        raise ProviderError(f"the answer is larger than {MAX_BODY} bytes") from exc
    except UnsafeUrl as exc:  # a private address (not allowed by INGEST_ALLOWED_PRIVATE_HOSTS)
        raise ProviderError(f"refused: {exc}") from exc
    except httpx.HTTPError as exc:
        raise ProviderError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 400 and not _is_json(response):
        raise ProviderError(f"HTTP {response.status_code}")
    return response, body


def _is_json(response: httpx.Response) -> bool:
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


async def fetch_json(
    http: httpx.AsyncClient, url: str, params: dict[str, Any] | None = None
) -> Any:
    """The JSON answer; HTML (a block page, a maintenance page) where JSON was expected
    is a ProviderError that names what came instead."""
    response, body = await fetch(http, url, params)
    if not _is_json(response):
        kind = response.headers.get("Content-Type", "nothing").split(";")[0] or "nothing"
        raise ProviderError(f"expected JSON, the provider answered {kind}")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ProviderError(f"the provider's JSON does not parse: {exc}") from exc


async def fetch_text(http: httpx.AsyncClient, url: str) -> str:
    response, body = await fetch(http, url)
    return body.decode(response.encoding or "utf-8", errors="replace")

"""What both metadata providers share: a JSON GET with typed errors."""

from __future__ import annotations

from typing import Any

import httpx

from concierge.media.errors import AuthFailed, BadResponse, NotFound, RateLimited, Unreachable
from concierge.media.http import request
from concierge.media.seedbox.common import decode_json

JSON_LIMIT = 2 * 1024 * 1024


async def get_json(
    http: httpx.AsyncClient,
    url: str,
    *,
    what: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    quota_on_403: bool = False,
) -> Any:
    response, body = await request(
        http, "GET", url, what=what, params=params, headers=headers, limit=JSON_LIMIT
    )
    status = response.status_code
    if status == 401:
        raise AuthFailed(f"{what} refused the API key")
    if status == 403:
        if quota_on_403:
            raise RateLimited(f"{what}: the day's quota is used up")
        raise AuthFailed(f"{what} refused the API key")
    if status == 404:
        raise NotFound(f"{what} has no such title")
    if status == 429:
        raise RateLimited(f"{what} asks to slow down")
    if status >= 500:
        raise Unreachable(f"{what} answered {status}")
    if status != 200:
        raise BadResponse(f"{what} answered {status}")
    data = decode_json(body, what)
    if not isinstance(data, dict):
        raise BadResponse(f"{what} answered something else than an object")
    return data


def year_of(date: Any) -> int | None:
    if isinstance(date, str) and len(date) >= 4 and date[:4].isdigit():
        return int(date[:4])
    return None


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def text(value: Any, limit: int = 2000) -> str:
    return value[:limit] if isinstance(value, str) else ""

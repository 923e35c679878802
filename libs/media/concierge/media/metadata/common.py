"""What both metadata providers share: the HTTP client (guarded, closed with the provider),
a JSON GET with typed errors, the key kept out of ``repr``, and small field readers."""

from __future__ import annotations

from typing import Any

import httpx

from concierge.media.errors import AuthFailed, BadResponse, NotFound, RateLimited, Unreachable
from concierge.media.http import media_client, request
from concierge.media.metadata.base import MetadataProvider
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


class MetadataClient(MetadataProvider):
    """A provider over HTTP: ``what`` names it in errors, ``_auth`` puts the key in a
    request (a header, or a parameter), ``quota_on_403`` reads 403 as a used-up quota."""

    what: str
    default_url: str
    quota_on_403 = False

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        allowed: frozenset[str] = frozenset(),
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = (base_url or self.default_url).rstrip("/")
        self.__key = api_key
        self._http = http or media_client(self.base_url, allowed=allowed, timeout=timeout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    def _auth(self, key: str, params: dict[str, Any]) -> dict[str, str]:
        """The headers that carry ``key`` (or add it to ``params``)."""
        raise NotImplementedError

    async def _get(self, path: str, **params: Any) -> Any:
        headers = self._auth(self.__key, params)
        return await get_json(
            self._http,
            f"{self.base_url}{path}",
            what=self.what,
            params={k: v for k, v in params.items() if v is not None},
            headers=headers,
            quota_on_403=self.quota_on_403,
        )


def year_of(date: Any) -> int | None:
    if isinstance(date, str) and len(date) >= 4 and date[:4].isdigit():
        return int(date[:4])
    return None


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def text(value: Any, limit: int = 2000) -> str:
    return value[:limit] if isinstance(value, str) else ""

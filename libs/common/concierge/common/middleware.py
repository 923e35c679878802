"""Pure ASGI middleware shared by every HTTP service.

``RequestContextMiddleware`` gives each request an id (taken from ``X-Request-ID``
when a caller sends one), logs one access line and records Prometheus metrics. The
access line is INFO, except for routine paths (health checks, metrics scrapes, and
the polls and deliveries a service names as ``quiet_paths``): DEBUG while they
succeed, INFO when they answer 4xx or 5xx.
``InputGuardMiddleware`` refuses oversize bodies and NUL bytes in the URL before any
application code sees them. A NUL inside a body's text is refused at the field that
would store it (``concierge.contracts.text``), so a body that merely carries one (a
Telegram update, a JSON string with ``\u0000``) is accepted where nothing stores it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Collection, Mapping
from typing import Any

import orjson
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from concierge.common.logging import REQUEST_ID_HEADER, bound_request_id

log = logging.getLogger("concierge.access")

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
OPERATIONAL_PATHS = frozenset({"/health", "/ready", "/metrics"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, service: str, quiet_paths: Collection[str] = frozenset()
    ) -> None:
        """``quiet_paths``: paths whose successful calls are logged at DEBUG."""
        self.app = app
        self.service = service
        self.quiet_paths = OPERATIONAL_PATHS | frozenset(quiet_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = _header(scope, REQUEST_ID_HEADER.lower().encode())
        request_id = offered if offered and _REQUEST_ID_OK.match(offered) else None
        status = 500
        started = time.perf_counter()

        with bound_request_id(request_id) as rid:

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers", []))
                    headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                    message = {**message, "headers": headers}
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
        HTTP_LATENCY.labels(self.service, method, template).observe(elapsed)
        quiet = scope["path"] in self.quiet_paths or template in self.quiet_paths
        routine = quiet and status < 400
        # A path that carries a credential (a webhook's token) is logged as its template.
        shown = template if "{token}" in template else scope["path"]
        log.log(
            logging.DEBUG if routine else logging.INFO,
            "%s %s %s %.1fms",
            method,
            shown,
            status,
            elapsed * 1000,
            extra={"status": status, "duration_ms": round(elapsed * 1000, 2)},
        )


class InputGuardMiddleware:
    """Refuse bodies over ``max_body_bytes`` (413) and NUL bytes in the URL (400).

    ``larger_bodies`` maps path prefixes to their own limit (a photo upload may be larger
    than any JSON call); the longest matching prefix wins.
    """

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, larger_bodies: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.larger_bodies = sorted((larger_bodies or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.larger_bodies:
            if path.startswith(prefix):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
            await _reject(send, 400, "NUL bytes are not allowed in the URL")
            return
        limit = self.limit_for(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _reject(send, 413, f"Request body is larger than {limit} bytes")
            return
        body, complete = await self._read_body(receive, limit)
        if not complete:
            await _reject(send, 413, f"Request body is larger than {limit} bytes")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive, limit: int) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hand the buffered body to the app once, then pass through to the server."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _reject(send: Send, status: int, detail: str) -> None:
    payload: dict[str, Any] = {"detail": detail, "status_code": status}
    body = orjson.dumps(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

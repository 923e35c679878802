"""The FastAPI application every HTTP service starts from.

It wires the shared middleware, the common error shape and the three operational
routes: ``/health`` (the process is alive), ``/ready`` (its dependencies answer)
and ``/metrics`` (Prometheus text).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from concierge.common.errors import install_error_handlers
from concierge.common.middleware import InputGuardMiddleware, RequestContextMiddleware
from concierge.common.settings import ServiceSettings

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[Any]]
# What /ready reports beside its checks without failing readiness (one bad part of many,
# e.g. one appointment-slot target): a JSON-able value, or the error that reading it met.
DegradedInfo = Callable[[], Awaitable[Any]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
READINESS_TIMEOUT_S = 2.0


def create_service_app(
    service: str,
    settings: ServiceSettings,
    *,
    lifespan: Lifespan | None = None,
    readiness: Callable[[FastAPI], Mapping[str, ReadinessCheck]] | None = None,
    degraded: Callable[[FastAPI], Mapping[str, DegradedInfo]] | None = None,
    docs: bool = False,
    larger_bodies: Mapping[str, int] | None = None,
    quiet_paths: Collection[str] = (),
    **fastapi_kwargs: Any,
) -> FastAPI:
    """``larger_bodies``: path prefix -> body limit above ``settings.max_body_bytes``;
    ``quiet_paths``: paths called all the time by machines (a poll, a webhook), whose
    successful calls are logged at DEBUG, like /health, /ready and /metrics;
    ``degraded``: name -> a reading /ready shows under ``degraded`` and never fails on."""
    app = FastAPI(
        title=f"Concierge {service}",
        lifespan=lifespan,
        docs_url="/api/docs" if docs else None,
        redoc_url=None,
        openapi_url="/api/openapi.json" if docs else None,
        **fastapi_kwargs,
    )
    install_error_handlers(app)
    app.add_middleware(
        InputGuardMiddleware, max_body_bytes=settings.max_body_bytes, larger_bodies=larger_bodies
    )
    app.add_middleware(RequestContextMiddleware, service=service, quiet_paths=quiet_paths)
    _add_operational_routes(app, service, readiness, degraded)
    return app


def _add_operational_routes(
    app: FastAPI,
    service: str,
    readiness: Callable[[FastAPI], Mapping[str, ReadinessCheck]] | None,
    degraded: Callable[[FastAPI], Mapping[str, DegradedInfo]] | None = None,
) -> None:
    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        checks = readiness(app) if readiness else {}
        results = {name: await _run_check(check) for name, check in checks.items()}
        ok = all(result == "ok" for result in results.values())
        body: dict[str, Any] = {
            "status": "ok" if ok else "unavailable",
            "service": service,
            "checks": results,
        }
        if degraded:
            body["degraded"] = {
                name: await _read_info(info) for name, info in degraded(app).items()
            }
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _read_info(info: DegradedInfo) -> Any:
    try:
        return await asyncio.wait_for(info(), READINESS_TIMEOUT_S)
    except Exception as exc:  # shown, never a reason to be unready
        log.warning("degraded info failed: %r", exc)
        return {"error": type(exc).__name__}


async def _run_check(check: ReadinessCheck) -> str:
    try:
        await asyncio.wait_for(check(), READINESS_TIMEOUT_S)
    except Exception as exc:  # any failure means "not ready", with the reason shown
        log.warning("readiness check failed: %r", exc)
        return f"error: {type(exc).__name__}"
    return "ok"

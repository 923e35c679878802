"""Run a service's ASGI app under uvicorn the same way everywhere."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from concierge.common.logging import configure_logging
from concierge.common.settings import ServiceSettings

# Docker kills a container 10 s after SIGTERM; finish in-flight work well before that.
GRACEFUL_SHUTDOWN_S = 5


def run_service(
    service: str, settings: ServiceSettings, app_factory: Callable[[], FastAPI]
) -> None:
    configure_logging(service, settings.log_level, settings.log_json)
    uvicorn.run(
        app_factory(),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        lifespan="on",
    )

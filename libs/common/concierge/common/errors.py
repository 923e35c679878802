"""One error shape for every API: ``{"detail": ..., "status_code": ...}``, plus
``"code"`` and ``"params"`` when the error has a code.

Expected business outcomes are raised as :class:`ServiceError` subclasses and
mapped to their status here; anything else is a bug and becomes a 500. ``detail`` is
English for developers and logs; ``code`` (with ``params``, the numbers and names the
message needs) is what a client translates for its user, so a Russian Mini App never
shows an English sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger(__name__)


ErrorParams = dict[str, str | int]


class ServiceError(Exception):
    status_code = 400

    def __init__(
        self,
        detail: Any = None,
        headers: dict[str, str] | None = None,
        *,
        code: StrEnum | None = None,
        params: ErrorParams | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail if detail is not None else self.default_detail()
        self.headers = headers
        self.code = code
        self.params = params

    @classmethod
    def default_detail(cls) -> str:
        return cls.__name__


class BadRequest(ServiceError):
    status_code = 400


class Unauthorized(ServiceError):
    status_code = 401


class Forbidden(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class PayloadTooLarge(ServiceError):
    status_code = 413


class Invalid(ServiceError):
    status_code = 422


class TooManyRequests(ServiceError):
    status_code = 429


class Unavailable(ServiceError):
    status_code = 503


def error_response(
    status_code: int,
    detail: Any,
    headers: Mapping[str, str] | None = None,
    *,
    code: StrEnum | None = None,
    params: ErrorParams | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail, "status_code": status_code}
    if code is not None:
        body["code"] = code.value
        body["params"] = params or {}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Pydantic puts the offending input (and the raw exception) in each error; the
    # input may be huge or binary, so only the location, message and type go back.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


async def _service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(
        exc.status_code, exc.detail, exc.headers, code=exc.code, params=exc.params
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # Starlette names the methods of one route; the path has more
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return error_response(exc.status_code, exc.detail, headers)


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, _validation_detail(exc))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)

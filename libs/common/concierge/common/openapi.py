"""An honest OpenAPI contract: every operation lists the errors it can answer with, and
each error is documented with the body it really sends (:class:`ErrorBody`).

Errors are declared where they arise, with ``@raises(...)``:

- on a route function, its own outcomes (``@raises(404, 409)`` under ``@router.get``);
- on a dependency, its outcomes: every route that depends on it, directly or through
  other dependencies, lists them (``@raises(401)`` on the service-token check);
- the ones every route shares are added by :func:`document_errors`: 400 (a NUL byte in
  the URL, refused before routing), 422 (parameters or a body that fail validation),
  413 (a body over the size limit) and, under a rate-limited prefix, 429.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field

F = TypeVar("F", bound=Callable[..., Any])

DESCRIPTIONS = {
    400: "Bad request: a NUL byte in the URL, or a malformed form",
    401: "Not authenticated: the credential is missing, wrong or expired",
    403: "Not allowed for this caller, or a link that is invalid or expired",
    404: "No such resource (or not one the caller may see)",
    409: "Conflicts with the resource's current state",
    413: "The body (or the uploaded file) is too large",
    422: "Invalid input: the detail names each field and what is wrong with it",
    429: "Too many requests: wait for Retry-After seconds",
    503: "A dependency is unavailable; try again later",
}
_ERRORS_ATTRIBUTE = "__concierge_errors__"
_REF = "#/components/schemas/{model}"


class ValidationIssue(BaseModel):
    loc: list[str | int] = Field(description="Where: body, query, path or header, then the field")
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error of every API: a message, or for invalid input one issue per field;
    an expected outcome also has a ``code`` (with ``params``) for clients to translate."""

    detail: str | list[ValidationIssue]
    status_code: int
    code: str | None = Field(
        None, description="What happened, for a client to say in its user's language"
    )
    params: dict[str, str | int] | None = Field(
        None, description="The values the code's message needs (a limit, a status)"
    )


def raises(*statuses: int) -> Callable[[F], F]:
    """Mark a route or a dependency: it can answer with these error statuses."""

    def mark(dependency: F) -> F:
        known: frozenset[int] = getattr(dependency, _ERRORS_ATTRIBUTE, frozenset())
        setattr(dependency, _ERRORS_ATTRIBUTE, known | frozenset(statuses))
        return dependency

    return mark


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def _api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every documented route with its full path (routers included with a prefix too)."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and context.path_format:
            yield context.path_format, route


def route_errors(route: APIRoute, path: str, rate_limited_prefix: str | None) -> set[int]:
    found = {400} | getattr(route.endpoint, _ERRORS_ATTRIBUTE, frozenset())
    for dependant in _dependencies(route.dependant):
        found |= getattr(dependant.call, _ERRORS_ATTRIBUTE, frozenset())
    flat = route.dependant
    has_params = any(
        dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        for dependant in (flat, *_dependencies(flat))
    )
    if route.body_field is not None:
        found |= {413, 422}
    elif has_params:
        found.add(422)
    if rate_limited_prefix and path.startswith(rate_limited_prefix):
        found.add(429)
    return found


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorBody")}}},
    }


def _add_error_schemas(schema: dict[str, Any], codes: type[StrEnum] | None) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template=_REF)
    components.update(body.pop("$defs", {}))
    if codes is not None:  # the codes this app answers with, named in the contract
        name = codes.__name__
        components[name] = {
            "type": "string",
            "enum": [code.value for code in codes],
            "title": name,
            "description": (codes.__doc__ or name).strip(),
        }
        code = body["properties"]["code"]
        code["anyOf"] = [{"$ref": _REF.format(model=name)}, {"type": "null"}]
    components["ErrorBody"] = body
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def document_errors(
    app: FastAPI,
    *,
    rate_limited_prefix: str | None = None,
    error_codes: type[StrEnum] | None = None,
) -> None:
    """Make ``app``'s OpenAPI list every route's errors (call it once routes are added),
    and, given ``error_codes``, the codes an error body may carry."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for path, route in _api_routes(app):
            statuses = route_errors(route, path, rate_limited_prefix)
            for method in route.methods or ():
                operation = schema["paths"][path][method.lower()]
                responses = operation.setdefault("responses", {})
                for status in statuses:
                    responses[str(status)] = _error_response(status)
        _add_error_schemas(schema, error_codes)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

"""Method parameters, read the way the Bot API reads them.

A call may carry its parameters in the query string, a JSON body, a
form-urlencoded body or a multipart body; any mix of them. Form values are
strings, and complex values (``reply_markup``, ``entities``...) arrive there as
JSON strings, while a JSON body carries them as objects: the getters accept both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request

from concierge.sandbox.telegram.errors import bad_request


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


class Params:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __contains__(self, name: str) -> bool:
        return self._values.get(name) is not None

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or isinstance(value, UploadedFile):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return orjson.dumps(value).decode()
        return str(value)

    def integer(self, name: str) -> int | None:
        """An integer; garbage reads as 0, as the Bot API does."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool | int):
            return int(value)
        if isinstance(value, float):
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            return 0

    def number(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return 0.0

    def boolean(self, name: str) -> bool:
        value = self._values.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        return str(value).strip().lower() in ("true", "1") if value is not None else False

    def json(self, name: str, what: str | None = None) -> Any:
        """A complex value, given as an object or as a JSON string."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            raise bad_request(f"can't parse {what or name} JSON object") from None

    def upload(self, name: str) -> UploadedFile | None:
        value = self._values.get(name)
        return value if isinstance(value, UploadedFile) else None


async def read_params(request: Request) -> Params:
    values: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        values.update(await _json_body(request))
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values.update(await _form_body(request))
    return Params(values)


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad_request("can't parse JSON object") from None
    if not isinstance(parsed, dict):
        raise bad_request("JSON object expected")
    return parsed


async def _form_body(request: Request) -> dict[str, Any]:
    values: dict[str, Any] = {}
    async with request.form(max_files=100, max_fields=1000) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                values[name] = UploadedFile(value.filename or name, value.content_type or "", data)
            else:
                values[name] = value
    return values

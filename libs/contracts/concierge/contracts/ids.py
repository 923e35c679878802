"""Row ids: Postgres ``bigint`` primary keys, positive.

Every id that crosses an API (path, query, body, job payload) is a :data:`RowId`, so a
number Postgres cannot hold is a 422 at the edge, never an error from the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

MAX_ID = 2**63 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An id in a path or a query string (text by nature, so "42" is 42)."""


def _json_number(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise ValueError("an integer here is a JSON number, never text or true/false")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_number)]
"""An integer in a JSON body: a JSON number with no fraction (42 or 42.0, as JSON Schema's
``integer``), never "42" or true (that would hide a client bug)."""

BodyRowId = Annotated[JsonInt, Field(ge=1, le=MAX_ID)]
"""An id in a JSON body."""


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("a date-time is ISO 8601 text, for example 2026-12-05T20:30:00Z")
    return value


BodyDateTime = Annotated[datetime, BeforeValidator(_iso_text)]
"""A date-time in a JSON body: ISO 8601 text, never a number of seconds."""


def is_row_id(value: int) -> bool:
    return 1 <= value <= MAX_ID

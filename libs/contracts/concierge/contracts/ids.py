"""Row ids: Postgres ``bigint`` primary keys, positive.

Every id that crosses an API (path, query, body, job payload) is a :data:`RowId`, so a
number Postgres cannot hold is a 422 at the edge, never an error from the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictInt

MAX_ID = 2**63 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An id in a path or a query string (text by nature, so "42" is 42)."""

BodyRowId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
"""An id in a JSON body: a JSON integer, never "42" or 42.0 (that hides a client bug)."""


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("a date-time is ISO 8601 text, for example 2026-12-05T20:30:00Z")
    return value


BodyDateTime = Annotated[datetime, BeforeValidator(_iso_text)]
"""A date-time in a JSON body: ISO 8601 text, never a number of seconds."""


def is_row_id(value: int) -> bool:
    return 1 <= value <= MAX_ID

"""Row ids: Postgres ``bigint`` primary keys, positive.

Every id that crosses an API (path, query, body, job payload) is a :data:`RowId`, so a
number Postgres cannot hold is a 422 at the edge, never an error from the database.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def is_row_id(value: int) -> bool:
    return 1 <= value <= MAX_ID

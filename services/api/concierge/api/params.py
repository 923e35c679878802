"""Path and query parameters every desk uses the same way."""

from __future__ import annotations

from typing import Any

from fastapi import Path

from concierge.contracts.ids import MAX_ID


def id_path(description: str) -> Any:
    """A row id in the path: 1 to 2^63-1, so anything else is a 422, never a database error."""
    return Path(ge=1, le=MAX_ID, description=description)

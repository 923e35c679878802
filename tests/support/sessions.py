"""Dependency overrides for an api app whose requests all run in the test's session."""

from __future__ import annotations

from collections.abc import AsyncIterator


async def no_side_session() -> AsyncIterator[None]:
    """``get_side_session`` in a test whose data is never committed: a second session
    would not see it, so the work runs on the request's own session instead."""
    yield None

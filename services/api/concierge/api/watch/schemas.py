"""The watch API's models (from libs/contracts) and its path and query parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import StringConstraints

from concierge.api.params import id_path
from concierge.contracts.text import SINGLE_LINE
from concierge.contracts.watch import (
    CatalogSummary,
    CatalogUpdate,
    DeliverySummary,
    OfficeRead,
    PollReport,
    PollSummary,
    Preferences,
    ProviderCreate,
    ProviderRead,
    ServiceRead,
    SlotSeen,
    TargetHealth,
    WatchCreate,
    WatchRead,
    WatchUpdate,
)

WatchId = Annotated[int, id_path("The watch's id")]
TargetId = Annotated[int, id_path("The target's id")]
ProviderSlug = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="The provider's slug")
]
OfficePath = Annotated[
    str,
    Path(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f/]+$", description="Office id"),
]
OfficeQuery = Annotated[
    Annotated[str, StringConstraints(min_length=1, max_length=100), SINGLE_LINE] | None,
    Query(description="Words of the office's name, or its id"),
]
OfficeLimit = Annotated[int, Query(ge=1, le=50, description="Offices per answer")]
OfficeOffset = Annotated[int, Query(ge=0, le=5000, description="Offices to skip (paging)")]

__all__ = [
    "CatalogSummary",
    "CatalogUpdate",
    "DeliverySummary",
    "OfficeLimit",
    "OfficeOffset",
    "OfficePath",
    "OfficeQuery",
    "OfficeRead",
    "PollReport",
    "PollSummary",
    "Preferences",
    "ProviderCreate",
    "ProviderRead",
    "ProviderSlug",
    "ServiceRead",
    "SlotSeen",
    "TargetHealth",
    "TargetId",
    "WatchCreate",
    "WatchId",
    "WatchRead",
    "WatchUpdate",
]

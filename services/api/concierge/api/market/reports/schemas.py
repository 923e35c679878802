"""The reports API's models (shared contract models)."""

from concierge.contracts.market import (
    ReportCreate,
    ReportedListing,
    ReportedPage,
    ReportRead,
    ReportsResolved,
)

__all__ = ["ReportCreate", "ReportRead", "ReportedListing", "ReportedPage", "ReportsResolved"]

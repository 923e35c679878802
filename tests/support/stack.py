"""End-to-end tests use the same process stack as the benchmarks."""

from concierge.embedded.stack import ADMIN_ID, SERVICE_TOKEN, WEBHOOK_SECRET, Stack

__all__ = ["ADMIN_ID", "SERVICE_TOKEN", "WEBHOOK_SECRET", "Stack"]

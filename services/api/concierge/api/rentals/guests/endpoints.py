"""Guests' messages forwarded by the Avito gateway (service token)."""

from __future__ import annotations

from concierge.api.rentals.guests.deps import GuestDeskDep
from concierge.api.rentals.routes import internal_router
from concierge.contracts.avito import GuestMessageBatch, GuestMessageBatchResult

service_router = internal_router()


@service_router.post("/guest-messages")
async def guest_messages(batch: GuestMessageBatch, desk: GuestDeskDep) -> GuestMessageBatchResult:
    """Store a batch of guests' messages (idempotent: a message stored before is not
    stored again, nor handed to the assistant again)."""
    return await desk.receive(batch)

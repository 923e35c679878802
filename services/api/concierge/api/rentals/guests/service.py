"""Guests' messages from the Avito gateway: stored once each (keyed by Avito's chat and
message ids), then handed to the guest assistant as one ``rentals.guest_message`` job
per new message, after the commit. Messages of an unknown or revoked account, or whose
Avito user is not the account's, are dropped."""

from __future__ import annotations

import logging
from typing import Any

from concierge.api.after_commit import AfterCommit
from concierge.api.rentals.guests.repository import GuestRepository
from concierge.contracts.avito import GuestMessageBatch, GuestMessageBatchResult
from concierge.contracts.jobs import RENTALS_GUEST_MESSAGE, GuestMessagePayload

log = logging.getLogger(__name__)


class GuestDesk:
    def __init__(self, guests: GuestRepository, after_commit: AfterCommit) -> None:
        self.guests = guests
        self.after_commit = after_commit

    async def receive(self, batch: GuestMessageBatch) -> GuestMessageBatchResult:
        accounts = await self.guests.accounts({event.account_id for event in batch.events})
        chats: dict[tuple[int, str], int] = {}
        rows: dict[tuple[int, str], dict[str, Any]] = {}  # one row per message, even in a batch
        for event in batch.events:
            account = accounts.get(event.account_id)
            if (
                account is None
                or account.revoked_at is not None
                or account.avito_user_id != event.avito_user_id
            ):
                log.warning("dropped a guest message for unknown account %d", event.account_id)
                continue
            key = (account.id, event.chat_id)
            if key not in chats:
                chats[key] = await self.guests.chat(
                    account.id, event.chat_id, event.item_id, event.author_id
                )
            rows[(chats[key], event.message_id)] = {
                "chat_id": chats[key],
                "avito_message_id": event.message_id,
                "author_avito_id": event.author_id,
                "kind": event.type,
                "text": event.text,
                "sent_at": event.created,
            }
        new = await self.guests.add_messages(list(rows.values()))
        for message_id in new:
            self.after_commit.enqueue(
                RENTALS_GUEST_MESSAGE, GuestMessagePayload(message_id=message_id)
            )
        return GuestMessageBatchResult(stored=len(new))

"""What the relay sent, noted in Redis the moment Telegram confirmed it.

Reports reach api in batches, so a relay killed between a send and its report leaves
the notification leased but unreported; when the lease runs out it is claimed again.
The ledger closes that window: a notification found here was sent already, so the next
relay reports it sent instead of sending it twice. What is left is the moment between
Telegram's answer and the note (a Redis write), not a whole report interval.

A note names the notification by its id, its chat and a digest of its message: an id
seen again after the database was recreated or restored beside a kept Redis belongs to
another notification, and must not be taken for one already sent.
"""

from __future__ import annotations

import hashlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from concierge.contracts.notify import ClaimedNotification

log = logging.getLogger(__name__)

KEY = "notify:sent:{id}:{chat}:{digest}"
TTL_S = 48 * 3600  # far longer than any lease


class SentLedger:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def note(self, notification: ClaimedNotification) -> None:
        try:
            await self.redis.set(key_of(notification), "1", ex=TTL_S)
        except RedisError as exc:  # then only the report says it: at least once, as before
            log.warning("could not note notification %s as sent: %r", notification.id, exc)

    async def was_sent(self, notification: ClaimedNotification) -> bool:
        try:
            return bool(await self.redis.exists(key_of(notification)))
        except RedisError as exc:  # unknown: send it (a duplicate is better than a loss)
            log.warning("could not check notification %s: %r", notification.id, exc)
            return False


def key_of(notification: ClaimedNotification) -> str:
    message = notification.payload.model_dump_json().encode()
    digest = hashlib.blake2b(message, digest_size=8).hexdigest()
    return KEY.format(id=notification.id, chat=notification.chat_id, digest=digest)

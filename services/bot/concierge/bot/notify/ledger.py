"""What the relay sent, noted in Redis the moment Telegram confirmed it.

Reports reach api in batches, so a relay killed between a send and its report leaves
the notification leased but unreported; when the lease runs out it is claimed again.
The ledger closes that window: a notification found here was sent already, so the next
relay reports it sent instead of sending it twice. What is left is the moment between
Telegram's answer and the note (a Redis write), not a whole report interval.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY = "notify:sent:{id}"
TTL_S = 48 * 3600  # far longer than any lease


class SentLedger:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def note(self, notification_id: int) -> None:
        try:
            await self.redis.set(KEY.format(id=notification_id), "1", ex=TTL_S)
        except RedisError as exc:  # then only the report says it: at least once, as before
            log.warning("could not note notification %s as sent: %r", notification_id, exc)

    async def was_sent(self, notification_id: int) -> bool:
        try:
            return bool(await self.redis.exists(KEY.format(id=notification_id)))
        except RedisError as exc:  # unknown: send it (a duplicate is better than a loss)
            log.warning("could not check notification %s: %r", notification_id, exc)
            return False

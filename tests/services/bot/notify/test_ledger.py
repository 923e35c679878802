"""The sent ledger: a notification noted as sent is never sent again by the next relay."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from concierge.bot.notify.ledger import TTL_S, SentLedger, key_of
from concierge.contracts.notify import ClaimedNotification, MessagePayload
from concierge.embedded import free_port

pytestmark = pytest.mark.integration


def claimed(notification_id: int, chat_id: int = 500, text: str = "Hello") -> ClaimedNotification:
    return ClaimedNotification(
        id=notification_id,
        chat_id=chat_id,
        kind="test",
        payload=MessagePayload(text=text),
        attempts=0,
        lease_until=datetime.now(UTC),
    )


class TestSentLedger:
    async def test_a_noted_notification_was_sent(self, redis: Redis) -> None:
        ledger = SentLedger(redis)
        assert await ledger.was_sent(claimed(41)) is False
        await ledger.note(claimed(41))
        assert await ledger.was_sent(claimed(41)) is True
        assert await ledger.was_sent(claimed(42)) is False
        assert 0 < await redis.ttl(key_of(claimed(41))) <= TTL_S

    async def test_an_id_reused_for_another_notification_is_not_taken_for_sent(
        self, redis: Redis
    ) -> None:
        """A database recreated or restored beside a kept Redis numbers anew."""
        ledger = SentLedger(redis)
        await ledger.note(claimed(7, chat_id=500, text="Maintenance tonight"))
        assert await ledger.was_sent(claimed(7, chat_id=501, text="Maintenance tonight")) is False
        assert await ledger.was_sent(claimed(7, chat_id=500, text="Your listing is live")) is False

    async def test_redis_away_means_send_it(self) -> None:
        down = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
        ledger = SentLedger(down)
        await ledger.note(claimed(7))  # a warning, not an error
        assert await ledger.was_sent(claimed(7)) is False  # a duplicate is better than a loss
        await down.aclose()

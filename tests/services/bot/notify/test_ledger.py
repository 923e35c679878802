"""The sent ledger: a notification noted as sent is never sent again by the next relay."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from concierge.bot.notify.ledger import TTL_S, SentLedger
from concierge.embedded import free_port

pytestmark = pytest.mark.integration


class TestSentLedger:
    async def test_a_noted_notification_was_sent(self, redis: Redis) -> None:
        ledger = SentLedger(redis)
        assert await ledger.was_sent(41) is False
        await ledger.note(41)
        assert await ledger.was_sent(41) is True
        assert await ledger.was_sent(42) is False
        assert 0 < await redis.ttl("notify:sent:41") <= TTL_S

    async def test_redis_away_means_send_it(self) -> None:
        down = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
        ledger = SentLedger(down)
        await ledger.note(7)  # a warning, not an error
        assert await ledger.was_sent(7) is False  # a duplicate is better than a loss
        await down.aclose()

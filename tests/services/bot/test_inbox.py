from __future__ import annotations

import pytest
from redis.asyncio import Redis

from concierge.bot.inbox import InvalidUpdate, UpdateInbox, parse_update


class TestParseUpdate:
    def test_accepts_an_update(self) -> None:
        assert parse_update(b'{"update_id": 5, "message": {}}')["update_id"] == 5

    @pytest.mark.parametrize(
        "body",
        [b"", b"not json", b"[1]", b'{"message": {}}', b'{"update_id": "5"}',
         b'{"update_id": -1}', b'{"update_id": true}', b'{"update_id": 1.5}'],
    )  # fmt: skip
    def test_refuses_what_is_not_an_update(self, body: bytes) -> None:
        with pytest.raises(InvalidUpdate):
            parse_update(body)


class TestUpdateInbox:
    async def test_stores_each_update_once(self, redis: Redis) -> None:
        inbox = UpdateInbox(redis, "updates", bot_id=1, dedup_ttl_s=60)
        assert await inbox.accept({"update_id": 10, "message": {"text": "hi"}})
        assert not await inbox.accept({"update_id": 10, "message": {"text": "hi"}})
        assert await inbox.accept({"update_id": 11})
        assert await redis.xlen("updates") == 2

    async def test_dedup_is_per_bot(self, redis: Redis) -> None:
        first = UpdateInbox(redis, "updates", bot_id=1, dedup_ttl_s=60)
        second = UpdateInbox(redis, "updates", bot_id=2, dedup_ttl_s=60)
        assert await first.accept({"update_id": 10})
        assert await second.accept({"update_id": 10})

    async def test_the_dedup_mark_expires(self, redis: Redis) -> None:
        inbox = UpdateInbox(redis, "updates", bot_id=1, dedup_ttl_s=60)
        await inbox.accept({"update_id": 10})
        assert 0 < await redis.ttl("tg:seen:1:10") <= 60

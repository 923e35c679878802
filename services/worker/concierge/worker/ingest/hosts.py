"""At most N fetches from one host at once, over every worker replica.

A Redis sorted set per host holds the slots in use, each scored with the time its
lease ends; a slot whose holder died frees itself when its lease passes. Taking a
slot is one Lua script (drop expired slots, count, add), so replicas cannot both take
the last one.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

KEY_PREFIX = "ingest:host:"

# KEYS[1] the host's set; ARGV: limit, lease in ms, token. Redis's clock for everyone.
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[3])
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
    return 1
end
return 0
"""


class HostBusy(Exception):
    """No slot for the host came free in time."""


class HostSlots:
    def __init__(self, redis: Redis, limit: int, lease_s: float) -> None:
        self.redis = redis
        self.limit = limit
        self.lease_ms = int(lease_s * 1000)
        self._acquire = redis.register_script(_ACQUIRE)

    @asynccontextmanager
    async def slot(self, host: str, wait_s: float) -> AsyncIterator[None]:
        """Hold one of the host's slots for the block; HostBusy after ``wait_s``."""
        key = f"{KEY_PREFIX}{host}"
        token = uuid.uuid4().hex
        deadline = asyncio.get_running_loop().time() + wait_s
        while not await self._acquire(keys=[key], args=[self.limit, self.lease_ms, token]):
            if asyncio.get_running_loop().time() > deadline:
                raise HostBusy(f"{host} is busy with other fetches")
            await asyncio.sleep(random.uniform(0.05, 0.25))
        try:
            yield
        finally:
            await self.redis.zrem(key, token)

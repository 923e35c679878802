"""How the worker stays polite to appointment systems, over every replica (Redis):

- ``next_interval``: a target's polls are at least the provider's floor apart, plus a
  jitter of up to 30 % of it (±15 % around floor · 1.15), so replicas never fall
  into step and no poll is ever faster than the floor;
- :class:`TokenBucket`: requests to one host share a bucket (refilled at the host's
  rate, a small burst), so many targets on one system cannot add up to a flood;
- :class:`CircuitBreaker`: 403/418/429 or ``rateLimitExceeded`` open the host's
  breaker: no request to it until the backoff passes (doubling per opening in a row,
  at least the Retry-After), and a success closes it.
"""

from __future__ import annotations

import random

from redis.asyncio import Redis

JITTER = 0.15


def next_interval(floor_s: float, rng: random.Random | None = None) -> float:
    """Seconds to the target's next poll: floor · 1.15 ± 15 % of floor, never under it."""
    draw = (rng or random).uniform(-JITTER, JITTER)
    return floor_s * (1 + JITTER + draw)


# KEYS[1] the bucket; ARGV: capacity, refill per second, tokens wanted.
# Returns 0 when taken, else the milliseconds until enough tokens are back.
_TAKE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2]) / 1000
local wanted = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now_ms
tokens = math.min(capacity, tokens + (now_ms - at) * rate)
local wait = 0
if tokens >= wanted then
    tokens = tokens - wanted
else
    wait = math.ceil((wanted - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now_ms)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return wait
"""


class TokenBucket:
    def __init__(self, redis: Redis, *, per_minute: float, burst: int) -> None:
        self.redis = redis
        self.rate_per_s = per_minute / 60.0
        self.burst = burst
        self._take = redis.register_script(_TAKE)

    async def take(self, host: str, tokens: int = 1) -> float:
        """Take tokens for the host: 0.0 if taken, else the seconds to wait (none taken)."""
        wanted = min(tokens, self.burst)
        wait_ms = await self._take(
            keys=[f"watch:bucket:{host}"], args=[self.burst, self.rate_per_s, wanted]
        )
        return int(wait_ms) / 1000.0


class CircuitBreaker:
    def __init__(self, redis: Redis, *, base_s: float, max_s: float) -> None:
        self.redis = redis
        self.base_s = base_s
        self.max_s = max_s

    async def open_for(self, host: str) -> float:
        """Seconds the host's breaker stays open (0: closed)."""
        ttl_ms = await self.redis.pttl(f"watch:breaker:{host}")
        return max(0.0, ttl_ms / 1000.0) if ttl_ms and ttl_ms > 0 else 0.0

    async def trip(self, host: str, retry_after_s: float | None = None) -> float:
        """Open the breaker; returns for how long (doubling with each opening in a row)."""
        trips = await self.redis.incr(f"watch:breaker:{host}:trips")
        await self.redis.expire(f"watch:breaker:{host}:trips", int(self.max_s * 4) + 60)
        backoff = min(self.max_s, self.base_s * 2 ** (int(trips) - 1))
        backoff = max(backoff, min(retry_after_s or 0.0, self.max_s))
        await self.redis.set(f"watch:breaker:{host}", str(trips), px=max(1, int(backoff * 1000)))
        return backoff

    async def succeeded(self, host: str) -> None:
        await self.redis.delete(f"watch:breaker:{host}:trips")

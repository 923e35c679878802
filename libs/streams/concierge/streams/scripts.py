"""Steps that must happen whole: each is a Lua script, which Redis runs atomically.

``append_once`` is the durable intake of both the bot (Telegram updates, one per
``update_id``) and the job queue (one job per dedup key): the dedup mark and the
stream entry are written together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from redis.asyncio import Redis

# KEYS[1] stream, KEYS[2] dedup key; ARGV[1] dedup TTL in seconds, ARGV[2..] field, value, …
# Returns the new entry's id, or nil when the dedup key was already set.
_APPEND_ONCE = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return false
end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
"""

# KEYS[1] stream; ARGV[1] group, ARGV[2] entry id. Acknowledges and deletes the entry in
# one step (a MULTI/EXEC would do the same with twice the round-trip work).
_ACK_AND_DELETE = """
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])
"""

# KEYS[1] sorted set of entries (a JSON array [field, value, …]) scored by due time in ms,
# KEYS[2] stream; ARGV[1] now in ms, ARGV[2] most entries to move. Returns how many moved.
_RELEASE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', unpack(cjson.decode(member)))
  redis.call('ZREM', KEYS[1], member)
end
return #due
"""

# KEYS[1] stream; ARGV[1] group, ARGV[2] consumer, ARGV[3..] entry ids.
# Resets the idle time of the entries this consumer still owns (XCLAIM … JUSTID does not
# count a delivery) and leaves alone those another consumer has reclaimed meanwhile.
# Returns {refreshed ids, ids owned by someone else}; ids no longer pending are in neither.
_HEARTBEAT = """
local refreshed, taken = {}, {}
for i = 3, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)[1]
  if pending then
    if pending[2] == ARGV[2] then
      redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
      table.insert(refreshed, ARGV[i])
    else
      table.insert(taken, ARGV[i])
    end
  end
end
return {refreshed, taken}
"""


def _flat(fields: Mapping[str, str]) -> list[str]:
    return [part for pair in fields.items() for part in pair]


class StreamScripts:
    """The scripts, registered once on a client (redis-py caches them by SHA)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._append_once = redis.register_script(_APPEND_ONCE)
        self._ack_and_delete = redis.register_script(_ACK_AND_DELETE)
        self._release_due = redis.register_script(_RELEASE_DUE)
        self._heartbeat = redis.register_script(_HEARTBEAT)

    async def append_once(
        self, stream: str, fields: Mapping[str, str], dedup_key: str, ttl_s: int
    ) -> str | None:
        """Append the entry unless ``dedup_key`` was set within ``ttl_s``; its id or None."""
        entry_id: Any = await self._append_once(
            keys=[stream, dedup_key], args=[ttl_s, *_flat(fields)]
        )
        return str(entry_id) if entry_id else None

    async def ack_and_delete(self, stream: str, group: str, entry_id: str) -> None:
        await self._ack_and_delete(keys=[stream], args=[group, entry_id])

    async def release_due(self, delayed: str, stream: str, now_ms: int, limit: int) -> int:
        """Move the entries of ``delayed`` that are due by ``now_ms`` into ``stream``."""
        return int(await self._release_due(keys=[delayed, stream], args=[now_ms, limit]))

    async def heartbeat(
        self, stream: str, group: str, consumer: str, ids: Iterable[str]
    ) -> tuple[set[str], set[str]]:
        """(entries refreshed, entries another consumer owns now)."""
        reply: Any = await self._heartbeat(keys=[stream], args=[group, consumer, *ids])
        refreshed, taken = reply
        return set(refreshed), set(taken)

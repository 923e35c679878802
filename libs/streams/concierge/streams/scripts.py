"""Steps that must happen whole: each is a Lua script, which Redis runs atomically.

``append_once`` is the durable intake of both the bot (Telegram updates, one per
``update_id``) and the job queue (one job per dedup key): the dedup mark and the
stream entry are written together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

# KEYS[1] stream, KEYS[2] dedup key; ARGV[1] dedup TTL in seconds, ARGV[2..] field, value, …
# Returns the new entry's id, or nil when the dedup key was already set.
_APPEND_ONCE = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return false
end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
"""

# The steps that settle a delivery (ack, retry later, bury) act only if XACK acknowledged
# the entry, that is if nobody settled it before: when a stalled worker and the one that
# reclaimed its entry both finish, the job is settled once (one dead entry, one retry).

# KEYS[1] stream; ARGV[1] group, ARGV[2] entry id. Acknowledges and deletes the entry in
# one step (a MULTI/EXEC would do the same with twice the round-trip work). Returns 1, or
# 0 when the entry was no longer pending.
_ACK_AND_DELETE = """
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
"""

# KEYS[1] stream, KEYS[2] sorted set of delayed entries; ARGV[1] group, ARGV[2] entry id,
# ARGV[3] due time in ms, ARGV[4] the retry's entry (a JSON array [field, value, …]).
# Returns 1, or 0 (and parks nothing) when the entry was no longer pending.
_RETRY_LATER = """
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
"""

# KEYS[1] stream, KEYS[2] dead stream; ARGV[1] group, ARGV[2] entry id, ARGV[3] most
# entries the dead stream keeps, ARGV[4..] field, value, … of the dead entry.
# Returns 1, or 0 (and adds nothing) when the entry was no longer pending.
_BURY = """
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], '*', unpack(ARGV, 4))
return 1
"""

# KEYS[1] stream; ARGV[1] group, ARGV[2] consumer, ARGV[3] min idle ms, ARGV[4] first id
# of the scan ('-', or '(' and the id after which the last scan stopped), ARGV[5] most
# pending entries to look at, ARGV[6] '1' to look only at this consumer's own (its
# backlog; the consumer is created, as a read would), ARGV[7] the limits on redelivered
# jobs as JSON, or '' for none (see ClaimLimits), ARGV[8..] ids to leave alone (they run
# in the caller's process: handing one out again would count a delivery for nothing).
# Claims the pending entries idle for at least min idle ms (XCLAIM counts a delivery),
# and acknowledges those whose message is gone (XDEL, trimming): Redis 7 does that in
# XAUTOCLAIM itself, 6.2 hands them out empty. Claim and count are read in one step, so
# the count handed out is the one this claim made, whoever claims the entry next.
# With limits, each entry is read as a job (fields type and deliveries) and judged:
# - a job past its last delivery is claimed (it is buried without running);
# - one handed out alone_after times or more, or on its last delivery, runs alone: it is
#   claimed only as the first entry of a claim, which then stops (the scan resumes at it);
# - any other counts against its type's cap (running + claimed now); over it, it is left
#   pending for a later claim.
# Returns {last id looked at or '' when the scan reached the end, {{id, {field, value,
# …}, deliveries, 1 if it runs alone else 0}, …}}.
_CLAIM = """
local rows
if ARGV[6] == '1' then
  redis.call('XGROUP', 'CREATECONSUMER', KEYS[1], ARGV[1], ARGV[2])  -- as XREADGROUP would
  rows = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[3], ARGV[4], '+', ARGV[5], ARGV[2])
else
  rows = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[3], ARGV[4], '+', ARGV[5])
end
local limits = false
if ARGV[7] ~= '' then
  limits = cjson.decode(ARGV[7])
end
local skip = {}
for i = 8, #ARGV do
  skip[ARGV[i]] = true
end
local function field(flat, name)
  for i = 1, #flat, 2 do
    if flat[i] == name then
      return flat[i + 1]
    end
  end
  return nil
end
local taken = {}  -- job type -> redelivered entries of it running or claimed now
local function judge(flat, delivered)
  local delivery = (tonumber(field(flat, 'deliveries') or '0') or 0) + delivered + 1
  if delivery > limits.last_delivery then
    return 'claim'
  end
  if delivered >= limits.alone_after or delivery == limits.last_delivery then
    return 'alone'
  end
  local job_type = field(flat, 'type') or ''
  local used = taken[job_type] or limits.running[job_type] or 0
  if used >= limits.per_type then
    return 'leave'
  end
  taken[job_type] = used + 1
  return 'claim'
end
local claimed = {}
local stop_at = nil  -- the scan ended early, after this id
for i, row in ipairs(rows) do
  local id = row[1]
  if not skip[id] then
    local message = redis.call('XRANGE', KEYS[1], id, id)[1]
    if message then
      local verdict = 'claim'
      if limits then
        verdict = judge(message[2], row[4])
      end
      if verdict == 'alone' and #claimed > 0 then
        stop_at = rows[i - 1][1]
        break
      end
      if verdict ~= 'leave' then
        redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id)  -- counts one delivery
        local deliveries = row[4] + 1
        table.insert(claimed, {id, message[2], deliveries, verdict == 'alone' and 1 or 0})
      end
      if verdict == 'alone' then
        stop_at = id
        break
      end
    else
      redis.call('XACK', KEYS[1], ARGV[1], id)
    end
  end
end
local last = ''
if stop_at then
  last = stop_at
elseif #rows >= tonumber(ARGV[5]) then
  last = rows[#rows][1]
end
return {last, claimed}
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


@dataclass(frozen=True, slots=True)
class ClaimLimits:
    """What a claim of redelivered jobs may take (the job worker's rules, applied by _CLAIM).

    ``per_type``: redelivered entries of one job type running at once in the claiming
    process; ``running``: how many of each type run there now; an entry handed out
    ``alone_after`` times without being settled, or on the job's ``last_delivery``, runs
    alone.
    """

    per_type: int
    running: Mapping[str, int]
    alone_after: int
    last_delivery: int

    def to_json(self) -> str:
        limits = {
            "per_type": self.per_type,
            "running": dict(self.running),
            "alone_after": self.alone_after,
            "last_delivery": self.last_delivery,
        }
        return orjson.dumps(limits).decode()


def _flat(fields: Mapping[str, str]) -> list[str]:
    return [part for pair in fields.items() for part in pair]


class StreamScripts:
    """The scripts, registered once on a client (redis-py caches them by SHA)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._append_once = redis.register_script(_APPEND_ONCE)
        self._ack_and_delete = redis.register_script(_ACK_AND_DELETE)
        self._retry_later = redis.register_script(_RETRY_LATER)
        self._bury = redis.register_script(_BURY)
        self._claim = redis.register_script(_CLAIM)
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

    async def ack_and_delete(self, stream: str, group: str, entry_id: str) -> bool:
        """Acknowledge and delete the entry; False if it was no longer pending."""
        return bool(await self._ack_and_delete(keys=[stream], args=[group, entry_id]))

    async def retry_later(
        self, stream: str, delayed: str, group: str, entry_id: str, due_ms: int, member: bytes
    ) -> bool:
        """Acknowledge the entry and park ``member`` in ``delayed`` until ``due_ms``;
        False (and nothing parked) if the entry was no longer pending."""
        reply = await self._retry_later(
            keys=[stream, delayed], args=[group, entry_id, due_ms, member]
        )
        return bool(reply)

    async def bury(
        self,
        stream: str,
        dead_stream: str,
        group: str,
        entry_id: str,
        fields: Mapping[str, str],
        max_len: int,
    ) -> bool:
        """Acknowledge the entry and add ``fields`` to ``dead_stream``; False (and nothing
        added) if the entry was no longer pending."""
        reply = await self._bury(
            keys=[stream, dead_stream], args=[group, entry_id, max_len, *_flat(fields)]
        )
        return bool(reply)

    async def claim(
        self,
        stream: str,
        group: str,
        consumer: str,
        *,
        min_idle_ms: int,
        start: str,
        count: int,
        own_only: bool,
        skip: Iterable[str] = (),
        limits: ClaimLimits | None = None,
    ) -> tuple[str | None, list[tuple[str, dict[str, str], int, bool]]]:
        """Claim pending entries idle for ``min_idle_ms`` from ``start`` on (see _CLAIM).

        Returns (the last id looked at, or None once the scan reached the end; the
        entries claimed, each with its fields, the delivery count this claim made and
        whether it must run alone).
        """
        reply: Any = await self._claim(
            keys=[stream],
            args=[
                group,
                consumer,
                min_idle_ms,
                start,
                count,
                "1" if own_only else "0",
                limits.to_json() if limits else "",
                *skip,
            ],
        )
        last, claimed = reply
        entries = [
            (
                str(entry_id),
                dict(zip(flat[::2], flat[1::2], strict=True)),
                int(deliveries),
                bool(alone),
            )
            for entry_id, flat, deliveries, alone in claimed
        ]
        return (str(last) or None), entries

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

"""Incoming flood control: a user writing too fast is asked once to slow down, then ignored.

Each user has a moving window in Redis (a sorted set of the messages answered in
the last ``window_s`` seconds). A message beyond ``limit`` is not answered; the first
such message gets one polite "slow down", the rest get silence until the oldest
answered message leaves the window. Other users have windows of their own.

The window is keyed by update_id, so handling the same update again (a retry after
a crash) neither counts twice nor changes the verdict.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from concierge.bot.deps import deps_of
from concierge.bot.notify.pacing import Clock
from concierge.bot.texts import text

log = logging.getLogger(__name__)

# KEYS[1] the user's window, KEYS[2] the "told to slow down" mark.
# ARGV[1] now (ms), ARGV[2] window (ms), ARGV[3] limit, ARGV[4] this message's id.
# Returns {verdict, ms until a message is answered again}.
_CHECK_SCRIPT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then
  return {0, 0}
end
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {0, 0}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
local wait = math.max(1, oldest + window - now)
-- The mark holds "<message id>|<until ms>": who was told, and until when it counts.
local told = redis.call('GET', KEYS[2])
if told then
  local sep = string.find(told, '|', 1, true)
  if tonumber(string.sub(told, sep + 1)) > now then
    return {string.sub(told, 1, sep - 1) == ARGV[4] and 1 or 2, wait}
  end
end
redis.call('SET', KEYS[2], ARGV[4] .. '|' .. (now + wait), 'PX', wait)
return {1, wait}
"""


class Verdict(IntEnum):
    ANSWER = 0
    SLOW_DOWN = 1  # over the limit: say so, once
    IGNORE = 2  # over the limit and already told


@dataclass(frozen=True)
class Check:
    verdict: Verdict
    wait_s: float  # until the user is answered again


class FloodGuard:
    def __init__(self, redis: Redis, limit: int, window_s: float, clock: Clock = time.time) -> None:
        self.limit = limit
        self.window_ms = int(window_s * 1000)
        self.clock = clock
        self._check = redis.register_script(_CHECK_SCRIPT)

    async def check(self, user_id: int, message_id: str) -> Check:
        keys = [f"bot:flood:{user_id}", f"bot:flood:{user_id}:told"]
        now_ms = int(self.clock() * 1000)
        verdict, wait_ms = await self._check(
            keys=keys, args=[now_ms, self.window_ms, self.limit, message_id]
        )
        return Check(Verdict(int(verdict)), int(wait_ms) / 1000)


async def flood_gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every other handler; stops the update when its sender is flooding."""
    user, chat = update.effective_user, update.effective_chat
    if update.message is None or user is None or chat is None:
        return  # only messages count; button presses and the rest pass
    deps = deps_of(context)
    try:
        check = await deps.flood.check(user.id, str(update.update_id))
    except RedisError as exc:  # no window to read: answer rather than go silent
        log.warning("flood check failed, letting the message through: %r", exc)
        return
    if check.verdict == Verdict.ANSWER:
        return
    if check.verdict == Verdict.SLOW_DOWN:
        log.info("user %s is over %d messages per window", user.id, deps.flood.limit)
        language = await deps.users.language_of(user)
        seconds = str(max(1, math.ceil(check.wait_s)))
        await chat.send_message(text(language, "slow_down", seconds=seconds))
    raise ApplicationHandlerStop


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, flood_gate), group=-1)

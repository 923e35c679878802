"""One bot process per bot token: a lock in Redis that the running bot keeps refreshing.

The sending budget (28.8 messages/s), the per-chat pacing, the update consumer's name
and python-telegram-bot's conversation state all live in one process: a second process
for the same token would double the send rate and split the chats between two memories.
So a bot takes the lock ``bot:instance:<bot id>`` before it talks to Telegram and
refuses to start while another process holds it, with an error that says who.

The lock names its holder (host and pid) and lapses ``ttl_s`` after the holder stops
refreshing it. A holder on this machine whose pid is gone (killed with -9) is replaced
at once; any other holder is given until its lock lapses, so a stray second process
refuses to start within ``ttl_s``. A holder that finds its lock taken by another process
(it stalled for longer than ``ttl_s``) stops itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# KEYS[1] the lock; ARGV[1] our value, ARGV[2] ttl (ms), ARGV[3] the value we replace
# ("" for none). Sets the lock if it is free, ours, or still the value we replace.
_TAKE = """
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] or current == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
WAIT_STEP_S = 0.5


class AnotherBotRunning(RuntimeError):
    """Another process holds this bot token."""


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    started_at: float

    def encode(self) -> str:
        return orjson.dumps(self.__dict__).decode()

    @classmethod
    def decode(cls, value: bytes | str | None) -> Holder | None:
        try:
            fields = orjson.loads(value or "")
            return cls(str(fields["host"]), int(fields["pid"]), float(fields["started_at"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None

    def is_gone(self, host: str) -> bool:
        """Provably dead: it ran on this machine and its pid no longer exists."""
        if self.host != host:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, someone else's
            return False
        return False

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}"


def bot_id_of(token: str) -> str:
    """The bot's id: the part of its token before the colon."""
    return token.split(":", 1)[0]


class InstanceLock:
    def __init__(
        self,
        redis: Redis,
        bot_id: str,
        ttl_s: float,
        *,
        host: str | None = None,
        pid: int | None = None,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.redis = redis
        self.bot_id = bot_id
        self.key = f"bot:instance:{bot_id}"
        self.ttl_ms = int(ttl_s * 1000)
        self.host = host or socket.gethostname()
        self.me = Holder(self.host, pid or os.getpid(), time.time())
        self.on_lost = on_lost or _stop_this_process
        self._take = redis.register_script(_TAKE)
        self._release = redis.register_script(_RELEASE)
        self._stopping = asyncio.Event()

    async def acquire(self) -> None:
        """Take the lock, or raise AnotherBotRunning once it is clear someone else has it."""
        mine = self.me.encode()
        deadline = time.monotonic() + self.ttl_ms / 1000 + 1
        while True:
            current = await self.redis.get(self.key)
            holder = Holder.decode(current)
            replace = current if holder is None or holder.is_gone(self.host) else ""
            if await self._take(keys=[self.key], args=[mine, self.ttl_ms, replace or ""]):
                if holder is not None and replace:
                    log.info("took over the bot lock from %s (gone)", holder.describe())
                return
            if time.monotonic() > deadline:
                who = holder.describe() if holder else "an unknown process"
                message = (
                    f"another bot process is running for bot {self.bot_id} ({who}): only one "
                    "bot process may run per token; stop it first"
                )
                log.error(message)
                raise AnotherBotRunning(message)
            await asyncio.sleep(WAIT_STEP_S)

    async def keep(self) -> None:
        """Refresh the lock until stopped; on losing it to another process, stop this one."""
        mine = self.me.encode()
        while not self._stopping.is_set():
            try:
                if not await self._take(keys=[self.key], args=[mine, self.ttl_ms, ""]):
                    holder = Holder.decode(await self.redis.get(self.key))
                    who = holder.describe() if holder else "another process"
                    log.critical("bot lock for bot %s taken by %s; stopping", self.bot_id, who)
                    self.on_lost()
                    return
            except RedisError as exc:  # Redis away: the bot cannot work either; try again
                log.warning("could not refresh the bot lock: %r", exc)
            await self._wait(self.ttl_ms / 3000)

    def stop(self) -> None:
        self._stopping.set()

    async def release(self) -> None:
        try:
            await self._release(keys=[self.key], args=[self.me.encode()])
        except RedisError as exc:  # it lapses by itself
            log.warning("could not release the bot lock: %r", exc)

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _stop_this_process() -> None:
    os.kill(os.getpid(), signal.SIGTERM)

"""What the user-bot does with channels: resolve, join, read, describe.

Every call to Telegram goes through :meth:`ChannelService._guard`, which turns Telethon's
errors into our answers: a flood wait pauses that kind of request (``floods``), a lost
session marks the account logged out (``account``), the rest become 404/403/409/422 with
a code. Channel ids and access hashes are cached beside the session, so nothing is resolved
twice, across restarts too."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from prometheus_client import Counter
from telethon import errors
from telethon.tl import types

from concierge.common.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from concierge.contracts.userbot import (
    MAX_READ_LIMIT,
    ChannelInfo,
    ChannelPost,
    JoinResult,
    ReadRequest,
    ReadResult,
    UserbotErrorCode,
)
from concierge.userbot.account import LOGGED_OUT_ERRORS, Account
from concierge.userbot.cache import CachedChannel, ChannelCache
from concierge.userbot.floods import FloodGate, Kind, Paused
from concierge.userbot.gateway import Gateway
from concierge.userbot.mapping import to_posts
from concierge.userbot.refs import BadRef, Ref, parse_ref

log = logging.getLogger(__name__)
T = TypeVar("T")

ALBUM_MAX = 10  # Telegram's most messages in one album
# A join waits for its turn this long at most; a longer wait is answered flood_wait.
JOIN_WAIT_MAX_S = 5.0
SESSION_PROBE_EVERY_S = 30.0

CALLS = Counter(
    "userbot_telegram_calls_total", "Calls to Telegram, by kind and outcome", ["kind", "outcome"]
)


class NotAChannel(Invalid):
    pass


def _flood(seconds: float) -> Unavailable:
    retry_after = max(1, int(seconds + 0.999))
    return Unavailable(
        f"Telegram asked to wait {retry_after} s",
        {"Retry-After": str(retry_after)},
        code=UserbotErrorCode.FLOOD_WAIT,
        params={"retry_after": retry_after},
    )


def logged_out_error() -> Unavailable:
    return Unavailable(
        "the user account is logged out; an operator must log in again",
        code=UserbotErrorCode.USERBOT_LOGGED_OUT,
    )


def not_found() -> NotFound:
    return NotFound("no such channel", code=UserbotErrorCode.CHANNEL_NOT_FOUND)


def private() -> Forbidden:
    return Forbidden(
        "the channel is private and the account is not in it",
        code=UserbotErrorCode.CHANNEL_PRIVATE,
    )


def _info(channel: CachedChannel) -> ChannelInfo:
    return ChannelInfo(
        channel_id=channel.channel_id,
        username=channel.username,
        title=channel.title,
        participants=channel.participants,
    )


def _cached(channel: types.Channel, invite_hash: str | None = None) -> CachedChannel:
    assert channel.access_hash is not None
    return CachedChannel(
        channel_id=channel.id,
        access_hash=channel.access_hash,
        title=channel.title,
        username=(channel.username or "").lower() or None,
        invite_hash=invite_hash,
        participants=channel.participants_count,
        member=channel.left is False,
    )


def _input(channel: CachedChannel) -> types.InputChannel:
    return types.InputChannel(channel.channel_id, channel.access_hash)


def _a_channel(found: object) -> types.Channel:
    """A broadcast channel, or 422 (a user, a bot, a group)."""
    if isinstance(found, types.Channel) and found.broadcast and not found.megagroup:
        return found
    if isinstance(found, types.ChannelForbidden):
        raise private()
    what = (
        "a bot"
        if getattr(found, "bot", False)
        else ("a user" if isinstance(found, types.User) else "a group")
    )
    raise NotAChannel(f"{what}, not a channel", code=UserbotErrorCode.NOT_A_CHANNEL)


class ChannelService:
    def __init__(
        self,
        gateway: Gateway,
        cache: ChannelCache,
        account: Account,
        floods: FloodGate,
        *,
        join_interval_s: float,
        read_chunk: int = 100,
    ) -> None:
        self.gateway = gateway
        self.cache = cache
        self.account = account
        self.floods = floods
        self.join_interval_s = join_interval_s
        self.read_chunk = read_chunk
        self._join_lock = asyncio.Lock()
        self._last_join = -1e12
        self._last_probe = time.monotonic()
        self._resolving: dict[str, asyncio.Future[CachedChannel]] = {}

    # --- the guard around every Telegram call --------------------------------------------

    async def _still_logged_out(self) -> bool:
        """Logged out: look again now and then (someone may have logged in meanwhile)."""
        if self.account.logged_out is None:
            return False
        if time.monotonic() - self._last_probe < SESSION_PROBE_EVERY_S:
            return True
        self._last_probe = time.monotonic()
        try:
            if await self.gateway.authorized():
                self.account.logged_in()
                return False
        except Exception as exc:  # Telegram unreachable: still logged out as far as we know
            log.warning("could not check the session: %r", exc)
        return True

    async def _guard(self, kind: Kind, call: Callable[[], Awaitable[T]]) -> T:
        if await self._still_logged_out():
            raise logged_out_error()
        try:
            self.floods.check(kind)
        except Paused as paused:
            raise _flood(paused.seconds) from None
        try:
            result = await call()
        except errors.FloodWaitError as exc:
            CALLS.labels(kind.value, "flood_wait").inc()
            log.warning("flood wait of %d s on %s requests", exc.seconds, kind.value)
            self.floods.pause(kind, exc.seconds)
            raise _flood(exc.seconds) from None
        except LOGGED_OUT_ERRORS as exc:
            CALLS.labels(kind.value, "logged_out").inc()
            await self.account.lost(type(exc).__name__)
            raise logged_out_error() from None
        except (errors.UsernameNotOccupiedError, errors.UsernameInvalidError) as exc:
            CALLS.labels(kind.value, "not_found").inc()
            raise not_found() from exc
        except (errors.InviteHashExpiredError, errors.InviteHashInvalidError) as exc:
            CALLS.labels(kind.value, "not_found").inc()
            raise not_found() from exc
        except (errors.ChannelPrivateError, errors.InviteRequestSentError) as exc:
            CALLS.labels(kind.value, "private").inc()
            raise private() from exc
        except errors.ChannelsTooMuchError as exc:
            CALLS.labels(kind.value, "too_many").inc()
            raise Conflict(
                "the account is in too many channels", code=UserbotErrorCode.TOO_MANY_CHANNELS
            ) from exc
        except errors.UserAlreadyParticipantError:
            raise
        except errors.RPCError as exc:  # anything else Telegram refused: its name, never a 500
            CALLS.labels(kind.value, "error").inc()
            log.warning("Telegram refused a %s request: %s", kind.value, exc.message)
            raise Unavailable(f"Telegram refused the request: {exc.message}") from exc
        CALLS.labels(kind.value, "ok").inc()
        return result

    # --- resolve -------------------------------------------------------------------------

    def _ref(self, text: str) -> Ref:
        try:
            return parse_ref(text)
        except BadRef:
            raise Invalid(
                "not a channel name or a t.me link", code=UserbotErrorCode.BAD_CHANNEL_REF
            ) from None

    async def resolve(self, text: str) -> ChannelInfo:
        return _info(await self._resolve(self._ref(text)))

    async def _resolve(self, ref: Ref) -> CachedChannel:
        cached = self.cache.by_key(ref.key)
        if cached is not None:
            if await self._still_logged_out():
                raise logged_out_error()
            return cached
        # Callers asking for one name at once share one call to Telegram.
        pending = self._resolving.get(ref.key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[CachedChannel] = asyncio.get_running_loop().create_future()
        self._resolving[ref.key] = future
        try:
            channel = await self._resolve_now(ref)
            future.set_result(channel)
            return channel
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody shared it
            raise
        except BaseException:  # cancelled: those sharing the call are cancelled too
            future.cancel()
            raise
        finally:
            del self._resolving[ref.key]

    async def _resolve_now(self, ref: Ref) -> CachedChannel:
        username, invite_hash = ref.username, ref.invite_hash
        if username:
            found = await self._guard(Kind.RESOLVE, lambda: self.gateway.resolve_username(username))
            channel = _cached(_a_channel(found))
        else:
            assert invite_hash
            invite = await self._guard(Kind.RESOLVE, lambda: self.gateway.check_invite(invite_hash))
            if not isinstance(invite, types.ChatInviteAlready):
                if not (invite.channel and invite.broadcast):
                    raise NotAChannel("a group, not a channel", code=UserbotErrorCode.NOT_A_CHANNEL)
                raise private()  # the account must join it before it has an id for us
            channel = _cached(_a_channel(invite.chat), invite_hash)
        self.cache.put(channel)
        log.info("resolved %s to channel %d", ref.key, channel.channel_id)
        return channel

    # --- join ----------------------------------------------------------------------------

    async def join(self, text: str) -> JoinResult:
        ref = self._ref(text)
        async with self._join_lock:
            wait = self._last_join + self.join_interval_s - time.monotonic()
            if wait > JOIN_WAIT_MAX_S:
                raise _flood(wait)
            if wait > 0:
                await asyncio.sleep(wait)
            if ref.invite_hash and self.cache.by_key(ref.key) is None:
                joined = await self._join_invite(ref.invite_hash)
            else:
                channel = await self._resolve(ref)
                joined = await self._join_public(channel)
            self._last_join = time.monotonic()
            return joined

    async def _join_public(self, channel: CachedChannel) -> JoinResult:
        was_member = channel.member
        found = await self._guard(Kind.JOIN, lambda: self.gateway.join(_input(channel)))
        fresh = _cached(found, channel.invite_hash)
        fresh.member = True
        self.cache.put(fresh)
        return JoinResult(**_info(fresh).model_dump(), joined=not was_member)

    async def _join_invite(self, invite_hash: str) -> JoinResult:
        try:
            found = await self._guard(Kind.JOIN, lambda: self.gateway.import_invite(invite_hash))
        except errors.UserAlreadyParticipantError:
            channel = await self._resolve(Ref(invite_hash=invite_hash))
            channel.member = True
            self.cache.put(channel)
            return JoinResult(**_info(channel).model_dump(), joined=False)
        fresh = _cached(_a_channel(found), invite_hash)
        fresh.member = True
        self.cache.put(fresh)
        return JoinResult(**_info(fresh).model_dump(), joined=True)

    # --- read ----------------------------------------------------------------------------

    def _known(self, channel_id: int) -> CachedChannel:
        channel = self.cache.by_id(channel_id)
        if channel is None:
            raise NotFound(
                "channel never resolved here: resolve or join it first",
                code=UserbotErrorCode.CHANNEL_NOT_FOUND,
            )
        return channel

    async def info(self, channel_id: int) -> ChannelInfo:
        channel = self._known(channel_id)
        participants = await self._guard(
            Kind.READ, lambda: self.gateway.participants(_input(channel))
        )
        if participants != channel.participants:
            channel.participants = participants
            self.cache.put(channel)
        return _info(channel)

    async def read(self, request: ReadRequest) -> ReadResult:
        channel = self._known(request.channel_id)
        if request.newest:
            messages = list(
                await self._guard(
                    Kind.READ,
                    lambda: self.gateway.history(_input(channel), 0, request.limit, newest=True),
                )
            )
            messages.sort(key=lambda m: m.id)
            more = False
        else:
            messages, more = await self._history(channel, request.min_id, request.limit)
        posts = to_posts(messages)
        last_id = max((m.id for m in messages), default=request.min_id)
        rechecked, deleted = await self._recheck(channel, request.recheck_ids)
        return ReadResult(
            channel_id=channel.channel_id,
            posts=posts,
            rechecked=rechecked,
            deleted_ids=deleted,
            last_id=last_id,
            more=more,
        )

    async def _history(
        self, channel: CachedChannel, min_id: int, limit: int
    ) -> tuple[list[types.TypeMessage], bool]:
        """Up to ``limit`` messages after ``min_id`` (oldest first), an album never cut in
        two: the rest of one that starts at the limit comes too. ``more``: there are more."""
        wanted = min(limit, MAX_READ_LIMIT) + ALBUM_MAX
        found: list[types.TypeMessage] = []
        cursor = min_id
        while len(found) < wanted:
            asked = min(self.read_chunk, wanted - len(found))
            after = cursor
            chunk = list(
                await self._guard(
                    Kind.READ,
                    lambda after=after, asked=asked: self.gateway.history(  # type: ignore[misc]
                        _input(channel), after, asked
                    ),
                )
            )
            found.extend(m for m in chunk if m.id > cursor)
            if len(chunk) < asked:
                break
            cursor = max(m.id for m in chunk)
        found.sort(key=lambda m: m.id)
        cut = min(limit, len(found))
        if 0 < cut < len(found):
            group = getattr(found[cut - 1], "grouped_id", None)
            while group is not None and cut < len(found):
                if getattr(found[cut], "grouped_id", None) != group:
                    break
                cut += 1
        return found[:cut], cut < len(found)

    async def _recheck(
        self, channel: CachedChannel, ids: Sequence[int]
    ) -> tuple[list[ChannelPost], list[int]]:
        if not ids:
            return [], []
        unique = sorted(set(ids))
        found = await self._guard(Kind.READ, lambda: self.gateway.messages(_input(channel), unique))
        present = {
            m.id: m for m in found if m is not None and not isinstance(m, types.MessageEmpty)
        }
        deleted = [i for i in unique if i not in present]
        return to_posts(present.values()), deleted

"""The user-bot as the feed desk asks it: resolve a channel someone named (``@name`` or
a t.me link), through the typed client of ``concierge.contracts.userbot``. Its answers
become the reader's: 404 no such channel; 422 private, a user or a bot, not a channel;
503 the user-bot is waiting out a flood wait (with ``Retry-After``), is logged out, is
unreachable or is not configured. Nothing is stored on any of them. The refusals the
user-bot names carry its code (``channel_not_found``, ``not_a_channel``,
``channel_private``, ``flood_wait`` with ``params.retry_after``, ``userbot_logged_out``),
so the bot and the Mini App can say which in the reader's language."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

from concierge.common.errors import Invalid, NotFound, Unavailable
from concierge.common.http_client import ServiceClient, ServiceResponseError, ServiceUnavailable
from concierge.contracts.userbot import (
    ChannelNotFound,
    ChannelPrivate,
    FloodWait,
    LoggedOut,
    NotAChannel,
    UserbotClient,
    UserbotError,
    UserbotErrorCode,
)

log = logging.getLogger(__name__)

RESOLVE_TIMEOUT_S = 15.0
# @name, name, t.me/name, https://t.me/name, telegram.me/name; invite links t.me/+hash
# and t.me/joinchat/hash go to the user-bot as they are.
_USERNAME = re.compile(r"^(?:@|(?:https?://)?(?:t|telegram)\.me/)?([A-Za-z][A-Za-z0-9_]{3,31})/?$")
_INVITE = re.compile(r"^(?:https?://)?(?:t|telegram)\.me/(?:\+|joinchat/)[A-Za-z0-9_-]{8,64}/?$")


@dataclass(frozen=True)
class ResolvedChannel:
    channel_id: int
    username: str | None
    title: str | None


def normalised_ref(ref: str) -> str:
    """``name`` of a public channel's reference, or the invite link itself; 422 otherwise."""
    ref = ref.strip()
    found = _USERNAME.match(ref)
    if found:
        return found.group(1).lower()
    if _INVITE.match(ref):
        return ref
    raise Invalid("Name a channel as @name or a t.me link")


def shown(ref: str) -> str:
    return ref if "/" in ref else f"@{ref}"


async def resolve(userbot_url: str | None, service_token: str, ref: str) -> ResolvedChannel:
    if not userbot_url:
        raise Unavailable("Channels named by readers need the user-bot, which is not configured")
    name = shown(ref)
    try:
        async with ServiceClient(
            userbot_url, service_token, timeout=RESOLVE_TIMEOUT_S, attempts=1
        ) as http:
            info = await UserbotClient(http).resolve(ref)
    except ChannelNotFound as exc:
        raise NotFound(f"No channel {name}", code=UserbotErrorCode.CHANNEL_NOT_FOUND) from exc
    except ChannelPrivate as exc:
        raise Invalid(
            f"{name} is private: the user-bot cannot read it",
            code=UserbotErrorCode.CHANNEL_PRIVATE,
        ) from exc
    except NotAChannel as exc:
        raise Invalid(f"{name} is not a channel", code=UserbotErrorCode.NOT_A_CHANNEL) from exc
    except FloodWait as exc:
        seconds = max(1, math.ceil(exc.retry_after))
        raise Unavailable(
            f"Telegram asks the user-bot to wait {seconds} s; try {name} again then",
            headers={"Retry-After": str(seconds)},
            code=UserbotErrorCode.FLOOD_WAIT,
            params={"retry_after": seconds},
        ) from exc
    except LoggedOut as exc:
        raise Unavailable(
            "The user-bot is logged out of Telegram; channels cannot be checked until an "
            "admin logs it in again",
            code=UserbotErrorCode.USERBOT_LOGGED_OUT,
        ) from exc
    except (UserbotError, ServiceResponseError) as exc:
        log.warning("the user-bot refused to resolve a channel: %s", exc)
        raise Unavailable(f"The user-bot could not check {name}") from exc
    except ServiceUnavailable as exc:
        raise Unavailable("The user-bot is unavailable; try again later") from exc
    return ResolvedChannel(channel_id=info.channel_id, username=info.username, title=info.title)

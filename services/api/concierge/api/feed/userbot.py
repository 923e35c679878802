"""The user-bot as the feed desk asks it: resolve a channel someone named (``@name`` or
a t.me link). Its contract: ``POST /cmd/resolve {"ref"}`` → ``{"channel_id",
"username", "title", "participants"}``; 404 ``channel_not_found``, 422 ``not_a_channel``,
403 ``channel_private``, 503 ``flood_wait`` (with ``retry_after``) or
``userbot_logged_out``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from concierge.common.errors import Invalid, NotFound, Unavailable
from concierge.common.http_client import ServiceClient, ServiceResponseError, ServiceUnavailable

RESOLVE = "/cmd/resolve"
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


async def resolve(userbot_url: str | None, service_token: str, ref: str) -> ResolvedChannel:
    if not userbot_url:
        raise Unavailable("Channels named by readers need the user-bot, which is not configured")
    try:
        async with ServiceClient(userbot_url, service_token, timeout=15.0, attempts=1) as client:
            response = await client.request("POST", RESOLVE, json={"ref": ref}, idempotent=True)
    except ServiceResponseError as exc:
        if exc.status_code == 404:
            raise NotFound(f"No channel {ref}") from exc
        if exc.status_code == 403:
            raise Invalid(f"{ref} is private: the user-bot cannot read it") from exc
        if exc.status_code == 422:
            raise Invalid(f"{ref} is not a channel") from exc
        raise Unavailable(f"The user-bot could not check {ref}") from exc
    except ServiceUnavailable as exc:
        raise Unavailable("The user-bot is unavailable; try again later") from exc
    body = response.json()
    return ResolvedChannel(
        channel_id=int(body["channel_id"]),
        username=body.get("username"),
        title=body.get("title"),
    )

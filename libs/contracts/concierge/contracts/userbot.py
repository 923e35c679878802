"""The user-bot's HTTP API: what other services ask of the one Telegram user account.

The userbot service (port 8003, service-token auth) is the only process speaking MTProto.
It serves:

- ``POST /cmd/resolve {"ref"}`` → :class:`ChannelInfo`. ``ref`` is ``@name``, ``name``,
  ``https://t.me/name`` or ``https://t.me/+hash`` (an invite link). Errors (the body's
  ``code``, see :class:`UserbotErrorCode`): 404 ``channel_not_found``; 422
  ``not_a_channel`` (a user or a bot) or ``bad_channel_ref``; 403 ``channel_private`` (an
  invite link the account may not see, or a private channel it is not in); 503
  ``flood_wait`` with ``params.retry_after`` (seconds) and a ``Retry-After`` header; 503
  ``userbot_logged_out`` (the account's session is gone or banned: nothing will work until
  an operator logs in again).
- ``POST /cmd/join {"ref"}`` → :class:`JoinResult` (the same errors, plus 409
  ``too_many_channels``). Joins are spread out: a join may wait a few seconds.
- ``POST /cmd/read {"channel_id", "min_id", "limit", "recheck_ids", "newest"}`` →
  :class:`ReadResult`: posts newer than ``min_id`` oldest first (an album is one post; with
  ``newest``: the channel's newest ``limit`` messages, oldest first), and for
  ``recheck_ids`` (posts read before) their current version or that they were deleted.
  404 ``channel_not_found`` when the channel was never resolved here (resolve or join it
  first), 403 ``channel_private`` when the account lost access.
- ``GET /cmd/channels/{channel_id}`` → :class:`ChannelInfo` (404 when never resolved).

Ids: ``channel_id`` is the bare channel id (positive, as Telethon's ``PeerChannel``), not
the ``-100…`` chat id of the Bot API.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from concierge.common.http_client import ServiceClient, ServiceResponseError
from concierge.contracts.text import SINGLE_LINE

MAX_READ_LIMIT = 500
MAX_RECHECK = 200
MAX_CHANNEL_ID = 2**53 - 1

ChannelRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    SINGLE_LINE,
]
ChannelId = Annotated[StrictInt, Field(ge=1, le=MAX_CHANNEL_ID)]
MessageId = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]


class UserbotErrorCode(StrEnum):
    """The ``code`` of the user-bot's error bodies."""

    CHANNEL_NOT_FOUND = "channel_not_found"  # 404
    NOT_A_CHANNEL = "not_a_channel"  # 422: a user, a bot, a group chat
    BAD_CHANNEL_REF = "bad_channel_ref"  # 422: not a name or t.me link
    CHANNEL_PRIVATE = "channel_private"  # 403
    TOO_MANY_CHANNELS = "too_many_channels"  # 409: the account is in too many channels
    FLOOD_WAIT = "flood_wait"  # 503, params.retry_after
    USERBOT_LOGGED_OUT = "userbot_logged_out"  # 503


class MediaType(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    ANIMATION = "animation"
    AUDIO = "audio"
    VOICE = "voice"
    DOCUMENT = "document"
    STICKER = "sticker"
    POLL = "poll"
    WEBPAGE = "webpage"  # a link preview
    GEO = "geo"
    CONTACT = "contact"
    OTHER = "other"


# --- requests ---------------------------------------------------------------------------


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: ChannelRef


class JoinRequest(ResolveRequest):
    pass


class ReadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: ChannelId
    min_id: MessageId = 0
    limit: Annotated[StrictInt, Field(ge=1, le=MAX_READ_LIMIT)] = 100
    recheck_ids: Annotated[list[MessageId], Field(max_length=MAX_RECHECK)] = []
    # The newest ``limit`` messages instead of those after ``min_id`` (still oldest first):
    # what a channel looks like now (onboarding, training), without reading its history.
    newest: StrictBool = False


# --- responses --------------------------------------------------------------------------


class ChannelInfo(BaseModel):
    channel_id: int
    username: str | None
    title: str
    participants: int | None = None


class JoinResult(ChannelInfo):
    joined: bool  # False: the account was a member already


class ChannelPost(BaseModel):
    """One post: a message, or an album (messages sharing a ``grouped_id``) as one post
    whose ``message_id`` is its first message's and whose ``message_ids`` are all of them."""

    message_id: int
    message_ids: list[int]
    date: datetime
    edit_date: datetime | None = None
    text: str  # the message text or the album's caption, plain (entities dropped)
    media_type: MediaType | None = None  # the first message's media
    media_types: list[MediaType] = []  # every message's media, in order (an album)
    grouped_id: int | None = None
    views: int | None = None
    forwarded_from_channel_id: int | None = None  # a repost of another channel's post
    forwarded_from_message_id: int | None = None


class ReadResult(BaseModel):
    channel_id: int
    posts: list[ChannelPost]  # newer than min_id, oldest first
    rechecked: list[ChannelPost] = []  # the current version of recheck_ids still there
    deleted_ids: list[int] = []  # recheck_ids that are gone
    last_id: int  # the highest message id read (service messages included): the next min_id
    more: bool = False  # more messages after last_id: read again at once


# --- errors -----------------------------------------------------------------------------


class UserbotError(Exception):
    """The user-bot refused with a known ``code``."""

    def __init__(self, error: ServiceResponseError) -> None:
        super().__init__(str(error))
        self.status_code = error.status_code
        self.code = UserbotErrorCode(error.code) if error.code else None
        self.detail = error.detail
        self.params = error.params


class FloodWait(UserbotError):
    @property
    def retry_after(self) -> float:
        value = self.params.get("retry_after")
        return float(value) if isinstance(value, int | float) else 60.0


class LoggedOut(UserbotError):
    pass


class ChannelNotFound(UserbotError):
    pass


class NotAChannel(UserbotError):
    pass


class ChannelPrivate(UserbotError):
    pass


_BY_CODE: dict[str, type[UserbotError]] = {
    UserbotErrorCode.FLOOD_WAIT: FloodWait,
    UserbotErrorCode.USERBOT_LOGGED_OUT: LoggedOut,
    UserbotErrorCode.CHANNEL_NOT_FOUND: ChannelNotFound,
    UserbotErrorCode.NOT_A_CHANNEL: NotAChannel,
    UserbotErrorCode.BAD_CHANNEL_REF: NotAChannel,
    UserbotErrorCode.CHANNEL_PRIVATE: ChannelPrivate,
}


def _typed(error: ServiceResponseError) -> Exception:
    known = {code.value for code in UserbotErrorCode}
    if error.code in known:
        return _BY_CODE.get(error.code or "", UserbotError)(error)
    return error


# --- the client -------------------------------------------------------------------------

RESOLVE = "/cmd/resolve"
JOIN = "/cmd/join"
READ = "/cmd/read"
CHANNELS = "/cmd/channels"
# 503 answers with these codes are the user-bot's state, not an outage: raised typed.
CODED_STATUSES = frozenset({503})


class UserbotClient:
    """Typed client of the user-bot. Raises :class:`FloodWait`, :class:`LoggedOut`,
    :class:`ChannelNotFound`, :class:`NotAChannel`, :class:`ChannelPrivate` (all
    :class:`UserbotError`) for the codes above; ``ServiceUnavailable`` when it is
    unreachable."""

    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self.http.request(
                method, path, coded_statuses=CODED_STATUSES, **kwargs
            )
        except ServiceResponseError as error:
            raise _typed(error) from error
        return response.json()

    async def resolve(self, ref: str) -> ChannelInfo:
        body = ResolveRequest(ref=ref).model_dump(mode="json")
        # Resolving changes nothing; it is safe to retry a dropped connection.
        return ChannelInfo.model_validate(await self._call("POST", RESOLVE, json=body))

    async def join(self, ref: str) -> JoinResult:
        body = JoinRequest(ref=ref).model_dump(mode="json")
        return JoinResult.model_validate(await self._call("POST", JOIN, json=body, idempotent=True))

    async def read(
        self,
        channel_id: int,
        min_id: int = 0,
        limit: int = 100,
        recheck_ids: list[int] | None = None,
        *,
        newest: bool = False,
    ) -> ReadResult:
        body = ReadRequest(
            channel_id=channel_id,
            min_id=min_id,
            limit=limit,
            recheck_ids=recheck_ids or [],
            newest=newest,
        ).model_dump(mode="json")
        return ReadResult.model_validate(await self._call("POST", READ, json=body, idempotent=True))

    async def channel(self, channel_id: int) -> ChannelInfo:
        return ChannelInfo.model_validate(await self._call("GET", f"{CHANNELS}/{channel_id}"))

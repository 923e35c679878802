"""The MTProto stand-in over HTTP.

The account side (what the user-bot's sandbox client calls; errors are Telegram's RPC
errors, ``{"error_code": 420, "error_message": "FLOOD_WAIT_30"}``, which the client turns
into Telethon's own exceptions):
- ``POST /mtproto/resolve {"username"}`` → a channel or a user (``peer``)
- ``POST /mtproto/check_invite {"hash"}``, ``POST /mtproto/import_invite {"hash"}``
- ``POST /mtproto/join {"channel_id", "access_hash"}``
- ``POST /mtproto/full {"channel_id", "access_hash"}``
- ``POST /mtproto/history {"channel_id", "access_hash", "min_id", "limit"}``: oldest first
- ``POST /mtproto/messages {"channel_id", "access_hash", "ids"}``: null for a gone one

Controls (tests, demos, the feed evaluation):
- ``GET /sandbox/channels``: the channels; ``GET /sandbox/channels/corpus``: every public
  post with its topic label
- ``POST /sandbox/channels``: a new channel; ``POST /sandbox/channels/{username}/posts``
  (``media`` with several entries: an album); ``PUT …/posts/{id}`` edits,
  ``DELETE …/posts/{id}`` deletes
- ``POST /sandbox/mtproto/faults {"method", "flood_wait_s", "times"}``: flood waits;
  ``POST /sandbox/mtproto/session {"state": "ok"|"revoked"|"banned"}``;
  ``GET /sandbox/mtproto/stats``: calls per method; ``POST /sandbox/mtproto/reset``
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from concierge.sandbox.channels.state import Channel, ChannelWorld, Fault, RpcError

router = APIRouter(tags=["channels"])
USERNAME = r"^[A-Za-z][A-Za-z0-9_]{3,31}$"
MEDIA = Literal["photo", "video", "document", "audio", "voice", "animation", "sticker", "poll"]


def world(request: Request) -> ChannelWorld:
    state: ChannelWorld = request.app.state.channels
    return state


WorldDep = Annotated[ChannelWorld, Depends(world)]


def _rpc(error: RpcError) -> JSONResponse:
    return JSONResponse(
        {"error_code": error.code, "error_message": error.message}, status_code=error.code
    )


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResolveBody(Strict):
    username: str = Field(max_length=64)


class InviteBody(Strict):
    hash: str = Field(max_length=64)


class ChannelBody(Strict):
    channel_id: int
    access_hash: int


class HistoryBody(ChannelBody):
    min_id: int = Field(0, ge=0)
    limit: int = Field(100, ge=1, le=1000)
    newest: bool = False


class MessagesBody(ChannelBody):
    ids: list[int] = Field(max_length=1000)


@router.post("/mtproto/resolve", response_model=None)
async def resolve(body: ResolveBody, channels: WorldDep) -> Any:
    try:
        return channels.resolve(body.username)
    except RpcError as error:
        return _rpc(error)


@router.post("/mtproto/check_invite", response_model=None)
async def check_invite(body: InviteBody, channels: WorldDep) -> Any:
    try:
        return channels.check_invite(body.hash)
    except RpcError as error:
        return _rpc(error)


@router.post("/mtproto/import_invite", response_model=None)
async def import_invite(body: InviteBody, channels: WorldDep) -> Any:
    try:
        return channels.import_invite(body.hash)
    except RpcError as error:
        return _rpc(error)


@router.post("/mtproto/join", response_model=None)
async def join(body: ChannelBody, channels: WorldDep) -> Any:
    try:
        return channels.join(body.channel_id, body.access_hash)
    except RpcError as error:
        return _rpc(error)


@router.post("/mtproto/full", response_model=None)
async def full(body: ChannelBody, channels: WorldDep) -> Any:
    try:
        return channels.full(body.channel_id, body.access_hash)
    except RpcError as error:
        return _rpc(error)


@router.post("/mtproto/history", response_model=None)
async def history(body: HistoryBody, channels: WorldDep) -> Any:
    try:
        return channels.history(
            body.channel_id, body.access_hash, body.min_id, body.limit, body.newest
        )
    except RpcError as error:
        return _rpc(error)


@router.post("/mtproto/messages", response_model=None)
async def messages(body: MessagesBody, channels: WorldDep) -> Any:
    try:
        return channels.messages(body.channel_id, body.access_hash, body.ids)
    except RpcError as error:
        return _rpc(error)


# --- controls ---------------------------------------------------------------------------


class NewChannel(Strict):
    title: str = Field(min_length=1, max_length=128)
    username: str | None = Field(None, pattern=USERNAME)
    invite_hash: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{8,32}$")
    topic: str | None = Field(None, max_length=32)
    language: str | None = Field(None, max_length=8)


class NewPost(Strict):
    text: str = Field("", max_length=4096)
    media: list[MEDIA] = Field(default_factory=list, max_length=10)
    date: datetime | None = None
    topic: str | None = Field(None, max_length=32)
    forward_of: tuple[int, int] | None = None  # (channel_id, message id)


class Edit(Strict):
    text: str = Field(max_length=4096)


class FaultBody(Strict):
    method: str = Field(
        pattern=r"^(\*|resolve|check_invite|import_invite|join|full|history|messages)$"
    )
    flood_wait_s: int = Field(ge=1, le=86_400)
    times: int = Field(1, ge=1, le=1000)


class SessionBody(Strict):
    state: Literal["ok", "revoked", "banned"]


def _channel(channels: ChannelWorld, username: str) -> Channel:
    channel = channels.find_username(username)
    if channel is None:
        channel = channels.find_invite(username)
    if channel is None:
        raise HTTPException(404, f"no channel {username}")
    return channel


def _summary(channel: Channel) -> dict[str, Any]:
    return {
        **channel.wire(),
        "invite_hash": channel.invite_hash,
        "topic": channel.topic,
        "language": channel.language,
        "messages": len(channel.messages),
        "last_id": channel.next_id - 1,
    }


@router.get("/sandbox/channels")
async def list_channels(channels: WorldDep) -> list[dict[str, Any]]:
    return [_summary(c) for c in channels.channels.values()]


@router.get("/sandbox/channels/corpus")
async def corpus(channels: WorldDep) -> list[dict[str, Any]]:
    """Every public post with its channel, message id, topic and language."""
    return channels.corpus()


@router.post("/sandbox/channels", status_code=201)
async def create_channel(body: NewChannel, channels: WorldDep) -> dict[str, Any]:
    if not body.username and not body.invite_hash:
        raise HTTPException(422, "a channel needs a username or an invite hash")
    try:
        channel = channels.create(
            body.title,
            body.username,
            invite_hash=body.invite_hash,
            topic=body.topic,
            language=body.language,
        )
    except ValueError as error:
        raise HTTPException(409, str(error)) from None
    return _summary(channel)


@router.post("/sandbox/channels/{username}/posts", status_code=201)
async def publish(username: str, body: NewPost, channels: WorldDep) -> dict[str, Any]:
    channel = _channel(channels, username)
    published = channels.publish(
        channel,
        body.text,
        media=list(body.media),
        date=body.date.astimezone(UTC) if body.date else None,
        topic=body.topic,
        forward_of=body.forward_of,
    )
    return {"channel_id": channel.id, "ids": [m.id for m in published]}


@router.put("/sandbox/channels/{username}/posts/{message_id}")
async def edit(username: str, message_id: int, body: Edit, channels: WorldDep) -> dict[str, Any]:
    channel = _channel(channels, username)
    message = channel.messages.get(message_id)
    if message is None or message.service:
        raise HTTPException(404, "no such post")
    message.text = body.text
    message.edit_date = datetime.now(UTC)
    return message.wire(channel.id)


@router.delete("/sandbox/channels/{username}/posts/{message_id}", status_code=204)
async def delete(username: str, message_id: int, channels: WorldDep) -> Response:
    channel = _channel(channels, username)
    if channel.messages.pop(message_id, None) is None:
        raise HTTPException(404, "no such post")
    return Response(status_code=204)


@router.post("/sandbox/mtproto/faults", status_code=201)
async def add_fault(body: FaultBody, channels: WorldDep) -> dict[str, Any]:
    channels.faults.append(Fault(body.method, body.flood_wait_s, body.times))
    return {"faults": len(channels.faults)}


@router.post("/sandbox/mtproto/session")
async def set_session(body: SessionBody, channels: WorldDep) -> dict[str, str]:
    channels.session = body.state
    return {"state": channels.session}


@router.get("/sandbox/mtproto/stats")
async def stats(channels: WorldDep) -> dict[str, Any]:
    return {"calls": dict(channels.calls), "joins": len(channels.joins),
            "session": channels.session}  # fmt: skip


@router.post("/sandbox/mtproto/reset")
async def reset(channels: WorldDep) -> dict[str, str]:
    """Counts and faults cleared, the session back to ok (channels stay)."""
    channels.calls.clear()
    channels.faults.clear()
    channels.session = "ok"
    return {"state": "ok"}

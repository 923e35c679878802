"""The user-bot's HTTP API (``concierge.contracts.userbot`` describes it; service token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from concierge.common.auth import require_service_token
from concierge.common.openapi import raises
from concierge.contracts.userbot import (
    MAX_CHANNEL_ID,
    ChannelInfo,
    JoinRequest,
    JoinResult,
    ReadRequest,
    ReadResult,
    ResolveRequest,
)
from concierge.userbot.channels import ChannelService

router = APIRouter(prefix="/cmd", tags=["userbot"], dependencies=[Depends(require_service_token)])


def get_channels(request: Request) -> ChannelService:
    service: ChannelService = request.app.state.channels
    return service


ChannelsDep = Annotated[ChannelService, Depends(get_channels)]
ChannelIdPath = Annotated[int, Path(ge=1, le=MAX_CHANNEL_ID)]


@router.post("/resolve", response_model=ChannelInfo)
@raises(403, 404, 503)
async def resolve(body: ResolveRequest, channels: ChannelsDep) -> ChannelInfo:
    """A channel by ``@name``, ``name``, ``t.me/name`` or an invite link (cached: a name is
    resolved with Telegram once)."""
    return await channels.resolve(body.ref)


@router.post("/join", response_model=JoinResult)
@raises(403, 404, 409, 503)
async def join(body: JoinRequest, channels: ChannelsDep) -> JoinResult:
    """Join a public channel or an invite link's channel (joins are spaced out)."""
    return await channels.join(body.ref)


@router.post("/read", response_model=ReadResult)
@raises(403, 404, 503)
async def read(body: ReadRequest, channels: ChannelsDep) -> ReadResult:
    """Posts after ``min_id`` (oldest first, an album as one post), and the current state
    of ``recheck_ids`` (edited or deleted)."""
    return await channels.read(body)


@router.get("/channels/{channel_id}", response_model=ChannelInfo)
@raises(403, 404, 503)
async def channel(channel_id: ChannelIdPath, channels: ChannelsDep) -> ChannelInfo:
    """A channel resolved before, with its current number of participants."""
    return await channels.info(channel_id)

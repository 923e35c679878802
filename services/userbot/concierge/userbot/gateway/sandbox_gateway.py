"""The gateway to the sandbox's MTProto stand-in (make dev, tests): the same calls over
HTTP, answered with the Telethon objects Telegram's answers become, and failing with the
Telethon errors Telegram's RPC errors become (``FLOOD_WAIT_30`` → ``FloodWaitError``
with ``seconds=30``, through Telethon's own ``rpc_message_to_error``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from telethon import functions
from telethon.errors import rpc_message_to_error
from telethon.tl import types
from telethon.tl.tlobject import TLRequest

from concierge.userbot.gateway.base import Resolved


def _date(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _document(message_id: int, mime: str, attributes: list[Any]) -> types.MessageMediaDocument:
    return types.MessageMediaDocument(
        document=types.Document(
            id=message_id, access_hash=1, file_reference=b"", date=None, mime_type=mime,
            size=1024, dc_id=2, attributes=attributes,
        )
    )  # fmt: skip


def _media(kind: str | None, message_id: int) -> types.TypeMessageMedia | None:
    if kind is None:
        return None
    if kind == "photo":
        photo = types.Photo(id=message_id, access_hash=1, file_reference=b"", date=None,
                            sizes=[], dc_id=2)  # fmt: skip
        return types.MessageMediaPhoto(photo=photo)
    if kind == "video":
        return _document(message_id, "video/mp4", [types.DocumentAttributeVideo(10, 640, 360)])
    if kind == "animation":
        return _document(
            message_id,
            "video/mp4",
            [types.DocumentAttributeAnimated(), types.DocumentAttributeVideo(2, 320, 240)],
        )
    if kind in ("audio", "voice"):
        voice = kind == "voice"
        return _document(message_id, "audio/ogg", [types.DocumentAttributeAudio(30, voice=voice)])
    if kind == "sticker":
        sticker = types.DocumentAttributeSticker("🙂", types.InputStickerSetEmpty())
        return _document(message_id, "image/webp", [sticker])
    if kind == "poll":
        question = types.TextWithEntities("?", [])
        poll = types.Poll(id=message_id, question=question, answers=[], hash=0)
        return types.MessageMediaPoll(poll=poll, results=types.PollResults())
    return _document(message_id, "application/pdf", [types.DocumentAttributeFilename("file.pdf")])


def message(wire: dict[str, Any]) -> types.TypeMessage:
    peer = types.PeerChannel(wire["channel_id"])
    date = _date(wire["date"])
    if wire.get("service"):
        return types.MessageService(
            id=wire["id"], peer_id=peer, date=date, action=types.MessageActionChannelCreate("")
        )
    forwarded = wire.get("fwd_from")
    return types.Message(
        id=wire["id"],
        peer_id=peer,
        date=date,
        message=wire.get("message") or "",
        post=True,
        media=_media(wire.get("media"), wire["id"]),
        edit_date=_date(wire.get("edit_date")),
        grouped_id=wire.get("grouped_id"),
        views=wire.get("views"),
        fwd_from=(
            types.MessageFwdHeader(
                date=date,
                from_id=types.PeerChannel(forwarded["channel_id"]),
                channel_post=forwarded["post"],
            )
            if forwarded
            else None
        ),
    )


def channel(wire: dict[str, Any]) -> types.Channel:
    return types.Channel(
        id=wire["id"],
        title=wire["title"],
        photo=types.ChatPhotoEmpty(),
        date=None,
        access_hash=wire["access_hash"],
        username=wire.get("username"),
        broadcast=wire.get("broadcast", True),
        megagroup=wire.get("megagroup", False),
        left=wire.get("left", True),
        participants_count=wire.get("participants"),
    )


def user(wire: dict[str, Any]) -> types.User:
    return types.User(
        id=wire["id"],
        access_hash=wire["access_hash"],
        bot=wire.get("bot", False),
        username=wire.get("username"),
        first_name=wire.get("first_name"),
    )


class SandboxGateway:
    def __init__(self, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10.0, transport=transport)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self.http.aclose()

    async def _call(self, path: str, body: dict[str, Any], request: TLRequest) -> Any:
        response = await self.http.post(f"/mtproto/{path}", json=body)
        if response.status_code != 200:
            error = response.json()
            raise rpc_message_to_error(
                types.RpcError(error["error_code"], error["error_message"]), request
            )
        return response.json()

    async def authorized(self) -> bool:
        response = await self.http.get("/sandbox/mtproto/stats")
        response.raise_for_status()
        return bool(response.json()["session"] == "ok")

    async def resolve_username(self, username: str) -> Resolved:
        request = functions.contacts.ResolveUsernameRequest(username)
        found = await self._call("resolve", {"username": username}, request)
        return user(found) if found["peer"] == "user" else channel(found)

    async def check_invite(self, invite_hash: str) -> types.ChatInvite | types.ChatInviteAlready:
        request = functions.messages.CheckChatInviteRequest(invite_hash)
        found = await self._call("check_invite", {"hash": invite_hash}, request)
        if found["already"]:
            return types.ChatInviteAlready(chat=channel(found["chat"]))
        return types.ChatInvite(
            title=found["title"],
            photo=types.PhotoEmpty(0),
            participants_count=found["participants"],
            color=0,
            channel=True,
            broadcast=found.get("broadcast", True),
        )

    async def join(self, input_channel: types.InputChannel) -> types.Channel:
        request = functions.channels.JoinChannelRequest(input_channel)
        body = {"channel_id": input_channel.channel_id, "access_hash": input_channel.access_hash}
        return channel((await self._call("join", body, request))["chat"])

    async def import_invite(self, invite_hash: str) -> types.Channel:
        request = functions.messages.ImportChatInviteRequest(invite_hash)
        return channel((await self._call("import_invite", {"hash": invite_hash}, request))["chat"])

    async def participants(self, input_channel: types.InputChannel) -> int | None:
        request = functions.channels.GetFullChannelRequest(input_channel)
        body = {"channel_id": input_channel.channel_id, "access_hash": input_channel.access_hash}
        found = await self._call("full", body, request)
        return int(found["participants"]) if found.get("participants") is not None else None

    async def history(
        self, input_channel: types.InputChannel, min_id: int, limit: int, *, newest: bool = False
    ) -> Sequence[types.TypeMessage]:
        request = functions.messages.GetHistoryRequest(
            peer=types.InputPeerChannel(input_channel.channel_id, input_channel.access_hash),
            offset_id=0, offset_date=None, add_offset=0, limit=limit, max_id=0, min_id=min_id,
            hash=0,
        )  # fmt: skip
        body = {
            "channel_id": input_channel.channel_id,
            "access_hash": input_channel.access_hash,
            "min_id": min_id,
            "limit": limit,
            "newest": newest,
        }
        return [message(m) for m in await self._call("history", body, request)]

    async def messages(
        self, input_channel: types.InputChannel, ids: Sequence[int]
    ) -> Sequence[types.TypeMessage | None]:
        request = functions.channels.GetMessagesRequest(
            input_channel, [types.InputMessageID(i) for i in ids]
        )
        body = {
            "channel_id": input_channel.channel_id,
            "access_hash": input_channel.access_hash,
            "ids": list(ids),
        }
        found = await self._call("messages", body, request)
        return [message(m) if m else None for m in found]

"""The gateway to Telegram: Telethon with a persistent SQLite session on a volume.

Entities are never resolved here on their own: callers pass ``InputChannel`` built from
the cached id and access hash, so reading a channel costs no ``resolveUsername``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from telethon import TelegramClient, functions
from telethon.sessions import SQLiteSession
from telethon.tl import types

from concierge.userbot.gateway.base import Resolved

DEVICE = "Concierge userbot"


def make_client(
    session_path: Path, api_id: int, api_hash: str, flood_sleep_s: int
) -> TelegramClient:
    session_path.parent.mkdir(parents=True, exist_ok=True)
    # SQLiteSession appends ".session"; give it the path without the suffix.
    name = (
        str(session_path.with_suffix(""))
        if session_path.suffix == ".session"
        else str(session_path)
    )
    session = SQLiteSession(name)
    # The session is the account's key: readable by this user only.
    Path(session.filename).chmod(0o600)
    return TelegramClient(
        session,
        api_id,
        api_hash,
        device_model=DEVICE,
        flood_sleep_threshold=flood_sleep_s,
        receive_updates=False,  # we read history; updates would only fill memory
    )


def _channel(chats: Sequence[object], channel_id: int | None = None) -> types.Channel:
    for chat in chats:
        if isinstance(chat, types.Channel) and (channel_id is None or chat.id == channel_id):
            return chat
    raise LookupError("Telegram's answer named no channel")


class TelethonGateway:
    def __init__(self, client: TelegramClient) -> None:
        self.client = client

    async def start(self) -> None:
        await self.client.connect()

    async def stop(self) -> None:
        await self.client.disconnect()

    async def authorized(self) -> bool:
        return bool(await self.client.is_user_authorized())

    async def resolve_username(self, username: str) -> Resolved:
        found = await self.client(functions.contacts.ResolveUsernameRequest(username))
        peer = found.peer
        if isinstance(peer, types.PeerUser):
            return next(u for u in found.users if u.id == peer.user_id)
        wanted = peer.channel_id if isinstance(peer, types.PeerChannel) else peer.chat_id
        return next(c for c in found.chats if c.id == wanted)

    async def check_invite(self, invite_hash: str) -> types.ChatInvite | types.ChatInviteAlready:
        return await self.client(functions.messages.CheckChatInviteRequest(invite_hash))

    async def join(self, channel: types.InputChannel) -> types.Channel:
        updates = await self.client(functions.channels.JoinChannelRequest(channel))
        return _channel(updates.chats, channel.channel_id)

    async def import_invite(self, invite_hash: str) -> types.Channel:
        updates = await self.client(functions.messages.ImportChatInviteRequest(invite_hash))
        return _channel(updates.chats)

    async def participants(self, channel: types.InputChannel) -> int | None:
        full = await self.client(functions.channels.GetFullChannelRequest(channel))
        count = getattr(full.full_chat, "participants_count", None)
        return int(count) if count is not None else None

    async def history(
        self, channel: types.InputChannel, min_id: int, limit: int, *, newest: bool = False
    ) -> Sequence[types.TypeMessage]:
        peer = types.InputPeerChannel(channel.channel_id, channel.access_hash)
        if newest:  # newest first from Telegram
            return list(reversed(list(await self.client.get_messages(peer, limit=limit) or [])))
        found = await self.client.get_messages(peer, min_id=min_id, limit=limit, reverse=True)
        return list(found or [])

    async def messages(
        self, channel: types.InputChannel, ids: Sequence[int]
    ) -> Sequence[types.TypeMessage | None]:
        peer = types.InputPeerChannel(channel.channel_id, channel.access_hash)
        found = await self.client.get_messages(peer, ids=list(ids))
        return list(found or [])

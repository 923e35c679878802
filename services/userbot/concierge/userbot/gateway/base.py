"""The interface both gateways implement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from telethon.tl import types

# What a username resolves to: a channel (or a group: a megagroup Channel, a Chat) or a user.
# (Telethon ships no type information: these are Any to mypy.)
Resolved = Any


class Gateway(Protocol):
    async def start(self) -> None:
        """Connect (without logging in: :meth:`authorized` says whether the session is)."""

    async def stop(self) -> None: ...

    async def authorized(self) -> bool:
        """Whether the session is logged in (False: logged out, revoked, never logged in)."""

    async def resolve_username(self, username: str) -> Resolved:
        """contacts.resolveUsername: the chat or user the name belongs to."""

    async def check_invite(self, invite_hash: str) -> types.ChatInvite | types.ChatInviteAlready:
        """messages.checkChatInvite."""

    async def join(self, channel: types.InputChannel) -> types.Channel:
        """channels.joinChannel (a public channel)."""

    async def import_invite(self, invite_hash: str) -> types.Channel:
        """messages.importChatInvite (a private channel's link)."""

    async def participants(self, channel: types.InputChannel) -> int | None:
        """channels.getFullChannel's participants_count."""

    async def history(
        self, channel: types.InputChannel, min_id: int, limit: int, *, newest: bool = False
    ) -> Sequence[types.TypeMessage]:
        """Messages with ids above ``min_id``, oldest first, at most ``limit`` (``newest``:
        the newest ``limit`` messages, oldest first)."""

    async def messages(
        self, channel: types.InputChannel, ids: Sequence[int]
    ) -> Sequence[types.TypeMessage | None]:
        """channels.getMessages: the messages of ``ids`` (None or MessageEmpty: gone)."""

"""The MTProto stand-in's world: channels with their messages, the account's
memberships, the session's state, injected flood waits and call counts.

Message ids grow per channel, as in Telegram; an album is several messages sharing a
``grouped_id``; a deleted message is gone from history (a read of its id finds nothing);
an edit sets ``edit_date``. A private channel has no username: it is found by its invite
hash, and only a member reads it.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from concierge.sandbox.channels.demo import (
    BOT_NAME,
    CHANNELS,
    PRIVATE_INVITE,
    PRIVATE_TITLE,
    TOPICS,
    USER_NAME,
    DemoPost,
    corpus_entry,
    demo_posts,
)

FIRST_CHANNEL_ID = 1_700_000_001
USER_ID = 5_100_000_001
BOT_ID = 5_100_000_002


class RpcError(Exception):
    """An error as Telegram's MTProto answers it: code and message (``FLOOD_WAIT_30``)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Message:
    id: int
    date: datetime
    text: str
    media: str | None = None
    grouped_id: int | None = None
    edit_date: datetime | None = None
    views: int = 0
    fwd_channel_id: int | None = None
    fwd_post: int | None = None
    service: str | None = None  # a service message (e.g. "channel_create")
    topic: str | None = None
    language: str | None = None

    def wire(self, channel_id: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel_id": channel_id,
            "date": int(self.date.timestamp()),
            "edit_date": int(self.edit_date.timestamp()) if self.edit_date else None,
            "message": self.text,
            "media": self.media,
            "grouped_id": self.grouped_id,
            "views": self.views,
            "fwd_from": (
                {"channel_id": self.fwd_channel_id, "post": self.fwd_post}
                if self.fwd_channel_id
                else None
            ),
            "service": self.service,
        }


@dataclass
class Channel:
    id: int
    access_hash: int
    title: str
    username: str | None
    invite_hash: str | None = None
    participants: int = 1000
    topic: str | None = None
    language: str | None = None
    member: bool = False
    messages: dict[int, Message] = field(default_factory=dict)
    next_id: int = 1

    @property
    def private(self) -> bool:
        return self.username is None

    def add(self, message: Message) -> Message:
        message.id = self.next_id
        self.next_id += 1
        self.messages[message.id] = message
        return message

    def wire(self) -> dict[str, Any]:
        return {
            "peer": "channel",
            "id": self.id,
            "access_hash": self.access_hash,
            "title": self.title,
            "username": self.username,
            "participants": self.participants,
            "left": not self.member,
            "broadcast": True,
        }


@dataclass
class Fault:
    method: str  # resolve, join, history, messages, full, check_invite, or "*"
    seconds: int
    times: int


class ChannelWorld:
    def __init__(self) -> None:
        self.channels: dict[int, Channel] = {}
        self.users = {
            USER_NAME: {"peer": "user", "id": USER_ID, "access_hash": 11, "bot": False,
                        "username": USER_NAME, "first_name": "Demo"},
            BOT_NAME: {"peer": "user", "id": BOT_ID, "access_hash": 12, "bot": True,
                       "username": BOT_NAME, "first_name": "Helper"},
        }  # fmt: skip
        self.calls: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self.session = "ok"  # ok | revoked | banned
        self.joins: list[float] = []  # monotonic times of joins
        self._ids = itertools.count(FIRST_CHANNEL_ID)
        self._groups = itertools.count(13_000_000_000_000_000)

    # --- building ----------------------------------------------------------------------

    def create(
        self,
        title: str,
        username: str | None,
        *,
        invite_hash: str | None = None,
        topic: str | None = None,
        language: str | None = None,
        participants: int = 1000,
    ) -> Channel:
        if username and self.find_username(username) is not None:
            raise ValueError(f"@{username} is taken")
        channel_id = next(self._ids)
        channel = Channel(
            channel_id,
            access_hash=(channel_id * 7919) % (2**62) + 1,
            title=title,
            username=username,
            invite_hash=invite_hash,
            participants=participants,
            topic=topic,
            language=language,
        )
        channel.add(Message(0, datetime(2026, 9, 1, tzinfo=UTC), "", service="channel_create"))
        self.channels[channel_id] = channel
        return channel

    def publish(
        self,
        channel: Channel,
        text: str,
        *,
        media: list[str] | None = None,
        date: datetime | None = None,
        topic: str | None = None,
        language: str | None = None,
        forward_of: tuple[int, int] | None = None,
    ) -> list[Message]:
        """A post: one message, or an album (several media: the text is the first one's
        caption)."""
        date = date or datetime.now(UTC)
        media = media or []
        topic, language = topic or channel.topic, language or channel.language
        if len(media) <= 1:
            message = Message(0, date, text, media[0] if media else None, topic=topic,
                              language=language, views=len(text) * 3)  # fmt: skip
            if forward_of:
                message.fwd_channel_id, message.fwd_post = forward_of
            return [channel.add(message)]
        group = next(self._groups)
        return [
            channel.add(
                Message(
                    0,
                    date,
                    text if i == 0 else "",
                    kind,
                    grouped_id=group,
                    topic=topic,
                    language=language,
                    views=len(text) * 3,
                )
            )
            for i, kind in enumerate(media)
        ]

    def seed_demo(self) -> None:
        for topic in TOPICS:
            for language, (username, title) in CHANNELS[topic].items():
                channel = self.create(title, username, topic=topic, language=language,
                                      participants=5000 + len(username) * 321)  # fmt: skip
                for post in demo_posts(topic, language):
                    self._publish_demo(channel, post)
        # a repost: the first tech post of the Russian channel copied word for word
        source = self.find_username("tech_pulse_ru")
        target = self.find_username("dengi_i_rynki")
        assert source is not None
        assert target is not None
        original = source.messages[2]
        self.publish(target, original.text, date=original.date.replace(hour=23), topic="tech",
                     language="ru", forward_of=(source.id, original.id))  # fmt: skip
        # an edited post and a deleted one
        travel = self.find_username("wander_lines")
        assert travel is not None
        edited = travel.messages[3]
        edited.text += "\n\nUpdate: prices checked again this week."
        edited.edit_date = edited.date.replace(hour=22)
        del travel.messages[5]
        private = self.create(PRIVATE_TITLE, None, invite_hash=PRIVATE_INVITE, topic="finance",
                              language="ru", participants=42)  # fmt: skip
        for post in demo_posts("finance", "ru", 5):
            self._publish_demo(private, post)

    def _publish_demo(self, channel: Channel, post: DemoPost) -> None:
        self.publish(channel, post.text, media=post.media, date=post.date, topic=post.topic,
                     language=post.language)  # fmt: skip

    # --- lookups -----------------------------------------------------------------------

    def find_username(self, username: str) -> Channel | None:
        name = username.lower()
        return next(
            (c for c in self.channels.values() if c.username and c.username.lower() == name),
            None,
        )

    def find_invite(self, invite_hash: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.invite_hash == invite_hash), None)

    def channel(self, channel_id: int, access_hash: int) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None or channel.access_hash != access_hash:
            raise RpcError(400, "CHANNEL_INVALID")
        return channel

    # --- the calls, as the account makes them -------------------------------------------

    def call(self, method: str) -> None:
        """Count the call, then answer it as Telegram would before doing anything: a
        revoked session, an injected flood wait."""
        self.calls[method] += 1
        if self.session == "revoked":
            raise RpcError(401, "AUTH_KEY_UNREGISTERED")
        if self.session == "banned":
            raise RpcError(401, "USER_DEACTIVATED_BAN")
        for fault in self.faults:
            if fault.method in (method, "*") and fault.times > 0:
                fault.times -= 1
                raise RpcError(420, f"FLOOD_WAIT_{fault.seconds}")
        self.faults = [f for f in self.faults if f.times > 0]

    def resolve(self, username: str) -> dict[str, Any]:
        self.call("resolve")
        user = self.users.get(username.lower())
        if user is not None:
            return user
        channel = self.find_username(username)
        if channel is None:
            raise RpcError(400, "USERNAME_NOT_OCCUPIED")
        return channel.wire()

    def check_invite(self, invite_hash: str) -> dict[str, Any]:
        self.call("check_invite")
        channel = self.find_invite(invite_hash)
        if channel is None:
            raise RpcError(400, "INVITE_HASH_EXPIRED")
        if channel.member:
            return {"already": True, "chat": channel.wire()}
        return {"already": False, "title": channel.title, "participants": channel.participants,
                "broadcast": True}  # fmt: skip

    def join(self, channel_id: int, access_hash: int) -> dict[str, Any]:
        self.call("join")
        channel = self.channel(channel_id, access_hash)
        if channel.private and not channel.member:
            raise RpcError(400, "CHANNEL_PRIVATE")
        return self._joined(channel)

    def import_invite(self, invite_hash: str) -> dict[str, Any]:
        self.call("import_invite")
        channel = self.find_invite(invite_hash)
        if channel is None:
            raise RpcError(400, "INVITE_HASH_EXPIRED")
        if channel.member:
            raise RpcError(400, "USER_ALREADY_PARTICIPANT")
        return self._joined(channel)

    def _joined(self, channel: Channel) -> dict[str, Any]:
        self.joins.append(time.monotonic())
        was_member = channel.member
        channel.member = True
        return {"chat": channel.wire(), "was_member": was_member}

    def full(self, channel_id: int, access_hash: int) -> dict[str, Any]:
        self.call("full")
        channel = self.channel(channel_id, access_hash)
        self._readable(channel)
        return channel.wire()

    def history(
        self, channel_id: int, access_hash: int, min_id: int, limit: int, newest: bool = False
    ) -> list[dict[str, Any]]:
        """Messages newer than ``min_id``, oldest first, at most ``limit`` (``newest``: the
        newest ``limit``, oldest first)."""
        self.call("history")
        channel = self.channel(channel_id, access_hash)
        self._readable(channel)
        if newest:
            newer = sorted(channel.messages)[-limit:]
        else:
            newer = sorted(i for i in channel.messages if i > min_id)[:limit]
        return [channel.messages[i].wire(channel.id) for i in newer]

    def messages(
        self, channel_id: int, access_hash: int, ids: list[int]
    ) -> list[dict[str, Any] | None]:
        self.call("messages")
        channel = self.channel(channel_id, access_hash)
        self._readable(channel)
        found = (channel.messages.get(i) for i in ids)
        return [m.wire(channel.id) if m else None for m in found]

    @staticmethod
    def _readable(channel: Channel) -> None:
        if channel.private and not channel.member:
            raise RpcError(400, "CHANNEL_PRIVATE")

    # --- the corpus --------------------------------------------------------------------

    def corpus(self) -> list[dict[str, Any]]:
        """Every post of every public channel with its topic label (albums once)."""
        entries = []
        for channel in self.channels.values():
            if channel.private or channel.username is None:
                continue
            groups: set[int] = set()
            for message in sorted(channel.messages.values(), key=lambda m: m.id):
                if message.service or (message.grouped_id and message.grouped_id in groups):
                    continue
                if message.grouped_id:
                    groups.add(message.grouped_id)
                post = DemoPost(message.text, message.date, [], message.topic, message.language)
                entries.append(corpus_entry(channel.username, message.id, post))
        return entries

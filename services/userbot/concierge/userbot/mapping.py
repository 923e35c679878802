"""Telethon's messages to our posts (``concierge.contracts.userbot.ChannelPost``).

- text: the message text (a caption for media), plain: entities dropped;
- media: the kind of the message's media (a photo, a video, a voice note, a poll...);
- an album (messages sharing ``grouped_id``, sent together) is one post: the first
  message's id, every message's id and media, the caption from whichever has one;
- service messages (a channel created, a pin) and empty ones are no posts;
- edits: ``edit_date``; a repost names the channel and post it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from telethon.tl import types

from concierge.contracts.userbot import ChannelPost, MediaType

_GEO = (types.MessageMediaGeo, types.MessageMediaGeoLive, types.MessageMediaVenue)


def media_type(media: types.TypeMessageMedia | None) -> MediaType | None:
    if media is None or isinstance(media, types.MessageMediaEmpty):
        return None
    if isinstance(media, types.MessageMediaPhoto):
        return MediaType.PHOTO
    if isinstance(media, types.MessageMediaDocument):
        return _document_type(media.document)
    if isinstance(media, types.MessageMediaPoll):
        return MediaType.POLL
    if isinstance(media, types.MessageMediaWebPage):
        return MediaType.WEBPAGE
    if isinstance(media, _GEO):
        return MediaType.GEO
    if isinstance(media, types.MessageMediaContact):
        return MediaType.CONTACT
    return MediaType.OTHER


def _document_type(document: types.TypeDocument | None) -> MediaType:
    if not isinstance(document, types.Document):
        return MediaType.DOCUMENT
    attributes = document.attributes
    if any(isinstance(a, types.DocumentAttributeSticker) for a in attributes):
        return MediaType.STICKER
    if any(isinstance(a, types.DocumentAttributeAnimated) for a in attributes):
        return MediaType.ANIMATION
    if any(isinstance(a, types.DocumentAttributeVideo) for a in attributes):
        return MediaType.VIDEO
    for attribute in attributes:
        if isinstance(attribute, types.DocumentAttributeAudio):
            return MediaType.VOICE if attribute.voice else MediaType.AUDIO
    return MediaType.DOCUMENT


def is_post(message: object) -> bool:
    """A message with something to show (not a service message, not an empty slot)."""
    return isinstance(message, types.Message) and bool(message.message or media_type(message.media))


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _forwarded(message: types.Message) -> tuple[int | None, int | None]:
    header = message.fwd_from
    if header is None or not isinstance(header.from_id, types.PeerChannel):
        return None, None
    return header.from_id.channel_id, header.channel_post


def to_post(messages: Sequence[types.Message]) -> ChannelPost:
    """One post from one message or from an album's messages (oldest first)."""
    first = messages[0]
    text = next((m.message for m in messages if m.message), "")
    kinds = [kind for kind in (media_type(m.media) for m in messages) if kind is not None]
    edits = [moment for moment in (_utc(m.edit_date) for m in messages) if moment is not None]
    channel, post = _forwarded(first)
    date = _utc(first.date)
    assert date is not None
    return ChannelPost(
        message_id=first.id,
        message_ids=[m.id for m in messages],
        date=date,
        edit_date=max(edits) if edits else None,
        text=text,
        media_type=kinds[0] if kinds else None,
        media_types=kinds,
        grouped_id=first.grouped_id,
        views=first.views,
        forwarded_from_channel_id=channel,
        forwarded_from_message_id=post,
    )


def to_posts(messages: Iterable[object]) -> list[ChannelPost]:
    """Posts of messages in id order: an album's messages (next to each other, one
    ``grouped_id``) become one post; what is no post is left out."""
    posts: list[ChannelPost] = []
    album: list[types.Message] = []
    for message in sorted(
        (m for m in messages if is_post(m)),
        key=lambda m: m.id,  # type: ignore[attr-defined]
    ):
        assert isinstance(message, types.Message)
        if album and (message.grouped_id is None or message.grouped_id != album[0].grouped_id):
            posts.append(to_post(album))
            album = []
        if message.grouped_id is None:
            posts.append(to_post([message]))
        else:
            album.append(message)
    if album:
        posts.append(to_post(album))
    return posts

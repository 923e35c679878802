"""Telethon's messages to our posts, with real Telethon objects (``telethon.tl.types``)."""

from __future__ import annotations

from datetime import UTC, datetime

from telethon.tl import types

from concierge.contracts.userbot import MediaType
from concierge.userbot.mapping import media_type, to_posts

CHANNEL = types.PeerChannel(1_234_567)
WHEN = datetime(2026, 11, 2, 10, 30, tzinfo=UTC)


def message(message_id: int, text: str = "", **fields: object) -> types.Message:
    return types.Message(id=message_id, peer_id=CHANNEL, date=WHEN, message=text, post=True,
                         **fields)  # fmt: skip


def document(mime: str, *attributes: object) -> types.MessageMediaDocument:
    return types.MessageMediaDocument(
        document=types.Document(
            id=1, access_hash=2, file_reference=b"", date=WHEN, mime_type=mime, size=10,
            dc_id=2, attributes=list(attributes),
        )
    )  # fmt: skip


PHOTO = types.MessageMediaPhoto(
    photo=types.Photo(id=1, access_hash=2, file_reference=b"", date=WHEN, sizes=[], dc_id=2)
)


def test_a_text_post() -> None:
    (post,) = to_posts([message(7, "Hello **world**", views=120, entities=[
        types.MessageEntityBold(offset=6, length=9)])])  # fmt: skip
    assert post.message_id == 7
    assert post.message_ids == [7]
    assert post.text == "Hello **world**"
    assert post.date == WHEN
    assert post.media_type is None
    assert post.views == 120
    assert post.edit_date is None


def test_media_kinds_from_real_telethon_media() -> None:
    cases = {
        MediaType.PHOTO: PHOTO,
        MediaType.VIDEO: document("video/mp4", types.DocumentAttributeVideo(3, 640, 360)),
        MediaType.ANIMATION: document(
            "video/mp4", types.DocumentAttributeAnimated(), types.DocumentAttributeVideo(1, 2, 2)
        ),
        MediaType.VOICE: document("audio/ogg", types.DocumentAttributeAudio(5, voice=True)),
        MediaType.AUDIO: document("audio/mpeg", types.DocumentAttributeAudio(200, title="Song")),
        MediaType.STICKER: document(
            "image/webp", types.DocumentAttributeSticker("😀", types.InputStickerSetEmpty())
        ),
        MediaType.DOCUMENT: document("application/pdf", types.DocumentAttributeFilename("a.pdf")),
        MediaType.POLL: types.MessageMediaPoll(
            poll=types.Poll(id=1, question=types.TextWithEntities("Q?", []), answers=[], hash=0),
            results=types.PollResults(),
        ),
        MediaType.GEO: types.MessageMediaGeo(geo=types.GeoPoint(1.0, 2.0, 3)),
        MediaType.CONTACT: types.MessageMediaContact("+100", "A", "B", "", 0),
        MediaType.WEBPAGE: types.MessageMediaWebPage(webpage=types.WebPageEmpty(id=1)),
    }
    for expected, media in cases.items():
        assert media_type(media) == expected, expected
    assert media_type(None) is None
    assert media_type(types.MessageMediaEmpty()) is None
    assert media_type(types.MessageMediaDice(6, "🎲")) == MediaType.OTHER


def test_a_caption_is_the_text_of_a_media_post() -> None:
    (post,) = to_posts([message(3, "A sunset", media=PHOTO)])
    assert post.text == "A sunset"
    assert post.media_type == MediaType.PHOTO
    assert post.media_types == [MediaType.PHOTO]


def test_an_album_is_one_post_with_the_caption_wherever_it_is() -> None:
    video = document("video/mp4", types.DocumentAttributeVideo(3, 640, 360))
    album = [
        message(10, "", media=PHOTO, grouped_id=99),
        message(11, "Our trip", media=video, grouped_id=99),
        message(12, "", media=PHOTO, grouped_id=99),
        message(13, "after the album"),
        message(14, "", media=PHOTO, grouped_id=100),
        message(15, "", media=PHOTO, grouped_id=100),
    ]
    first, text, second = to_posts(reversed(album))  # any order in: id order out
    assert first.message_id == 10
    assert first.message_ids == [10, 11, 12]
    assert first.text == "Our trip"
    assert first.media_type == MediaType.PHOTO
    assert first.media_types == [MediaType.PHOTO, MediaType.VIDEO, MediaType.PHOTO]
    assert first.grouped_id == 99
    assert text.message_ids == [13]
    assert second.message_ids == [14, 15]
    assert second.text == ""


def test_edits_forwards_and_what_is_no_post() -> None:
    edited = message(20, "fixed typo", edit_date=datetime(2026, 11, 3, tzinfo=UTC))
    forwarded = message(
        21,
        "copied",
        fwd_from=types.MessageFwdHeader(date=WHEN, from_id=types.PeerChannel(555), channel_post=42),
    )
    from_user = message(
        22, "from a user", fwd_from=types.MessageFwdHeader(date=WHEN, from_id=types.PeerUser(9))
    )
    service = types.MessageService(
        id=23, peer_id=CHANNEL, date=WHEN, action=types.MessageActionChannelCreate("x")
    )
    empty = types.MessageEmpty(id=24, peer_id=CHANNEL)
    blank = message(25, "")
    naive = types.Message(id=26, peer_id=CHANNEL, date=datetime(2026, 1, 1, 12), message="n")
    posts = to_posts([edited, forwarded, from_user, service, empty, blank, naive])
    assert [p.message_id for p in posts] == [20, 21, 22, 26]
    assert posts[0].edit_date == datetime(2026, 11, 3, tzinfo=UTC)
    assert (posts[1].forwarded_from_channel_id, posts[1].forwarded_from_message_id) == (555, 42)
    assert posts[2].forwarded_from_channel_id is None
    assert posts[3].date == datetime(2026, 1, 1, 12, tzinfo=UTC)

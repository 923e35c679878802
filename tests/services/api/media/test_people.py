"""A person's media settings, sources and history in Postgres: scoped to the person,
credentials stored only as Fernet tokens, and the key rotation."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.api.media.repository import MediaRepository
from concierge.api.media.rotate_keys import rotate_all
from concierge.common.secret_box import SecretBox, SecretUnreadable
from concierge.domain.identity.models import User
from concierge.domain.media.people.models import MediaSeedbox

APIKEY = "indexer-api-key-0123456789"


async def create_user(session: AsyncSession) -> int:
    user = User(telegram_id=900_000 + uuid.uuid4().int % 10**8, first_name="Viewer")
    session.add(user)
    await session.flush()
    return user.id


class TestSecretBox:
    def test_seal_open_rotate_and_unknown_keys(self) -> None:
        old, new = SecretBox.new_key(), SecretBox.new_key()
        token = SecretBox([old]).seal(APIKEY)
        assert APIKEY not in token
        ring = SecretBox([new, old])
        assert ring.open(token) == APIKEY
        rotated = ring.rotate(token)
        assert SecretBox([new]).open(rotated) == APIKEY
        with pytest.raises(SecretUnreadable):
            SecretBox([new]).open(token)
        with pytest.raises(SecretUnreadable):
            SecretBox([new]).open("not a token")
        assert "key" not in repr(ring).replace("keys hidden", "")
        with pytest.raises(ValueError, match="at least one"):
            SecretBox([])


class TestPeopleRows:
    async def test_preferences_upsert(self, session: AsyncSession) -> None:
        repo = MediaRepository(session)
        user = await create_user(session)
        assert await repo.preferences(user) is None
        saved = await repo.save_preferences(user, quality=2160, audio=["en"], onboarded=True)
        assert (saved.quality, saved.audio, saved.genres, saved.notify_done) == (
            2160,
            ["en"],
            [],
            True,
        )
        again = await repo.save_preferences(user, genres=["drama"])
        assert (again.quality, again.genres) == (2160, ["drama"])

    async def test_a_bad_quality_is_refused_by_the_database(self, session: AsyncSession) -> None:
        repo = MediaRepository(session)
        user = await create_user(session)
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await repo.save_preferences(user, quality=1234)

    async def test_sources_are_the_persons_own(self, session: AsyncSession) -> None:
        repo = MediaRepository(session)
        box = SecretBox([SecretBox.new_key()])
        me, other = await create_user(session), await create_user(session)
        mine = await repo.add_indexer(me, "home", "https://jackett.example/api", box.seal(APIKEY))
        assert [i.id for i in await repo.indexers(me)] == [mine.id]
        assert await repo.indexers(other) == []
        assert await repo.delete_indexer(other, mine.id) is False  # not theirs: nothing
        seedbox = await repo.add_seedbox(
            MediaSeedbox(
                user_id=me,
                kind="transmission",
                url="http://192.168.1.5:9091",
                username="admin",
                password_secret=box.seal("pw"),
                on_my_lan=True,
            )
        )
        assert await repo.seedbox(other, seedbox.id) is None
        assert (await repo.seedbox(me, seedbox.id)) is not None
        stored = (await session.execute(text("SELECT apikey_secret FROM media_indexers"))).all()
        assert all(APIKEY not in row[0] for row in stored)
        assert await repo.delete_indexer(me, mine.id) is True

    async def test_watch_history_and_ratings(self, session: AsyncSession) -> None:
        repo = MediaRepository(session)
        me, other = await create_user(session), await create_user(session)
        await repo.mark_watched(me, "tmdb", 329865, "movie", "Arrival", None)
        await repo.mark_watched(me, "tmdb", 329865, "movie", "Arrival", 9)
        (row,) = await repo.watched(me)
        assert (row.title, row.rating) == ("Arrival", 9)
        assert await repo.watched(other) == []
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await repo.mark_watched(me, "tmdb", 1, "movie", "X", 11)


class TestKeyRotation:
    async def test_every_secret_moves_to_the_newest_key(self, session: AsyncSession) -> None:
        repo = MediaRepository(session)
        old, new = SecretBox.new_key(), SecretBox.new_key()
        before = SecretBox([old])
        user = await create_user(session)
        await repo.add_indexer(user, "a", "https://a.example/api", before.seal(APIKEY))
        await repo.add_seedbox(
            MediaSeedbox(
                user_id=user,
                kind="deluge",
                url="https://box.example",
                password_secret=before.seal("pw"),
            )
        )
        await repo.add_seedbox(
            MediaSeedbox(
                user_id=user, kind="qbittorrent", url="https://box2.example", password_secret=None
            )
        )
        assert await rotate_all(repo, SecretBox([new, old])) >= 2
        only_new = SecretBox([new])
        for indexer in await repo.indexers(user):
            await session.refresh(indexer)
            assert only_new.open(indexer.apikey_secret) == APIKEY
        for seedbox in await repo.seedboxes(user):
            await session.refresh(seedbox)
            if seedbox.password_secret:
                assert only_new.open(seedbox.password_secret) == "pw"

    async def test_a_secret_no_key_opens_stops_the_run(self, session: AsyncSession) -> None:
        repo = MediaRepository(session)
        user = await create_user(session)
        await repo.add_indexer(
            user, "a", "https://a.example/api", SecretBox([SecretBox.new_key()]).seal("k")
        )
        with pytest.raises(SecretUnreadable):
            await rotate_all(repo, SecretBox([SecretBox.new_key()]))

"""Every query on a person's media settings, sources and history (always scoped to them),
and the sweep over stored secrets that key rotation needs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.domain.media.people.models import (
    MediaIndexer,
    MediaPreferences,
    MediaSeedbox,
    MediaWatched,
)

SWEEP_BATCH = 500


class MediaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def preferences(self, user_id: int) -> MediaPreferences | None:
        return await self.session.get(MediaPreferences, user_id)

    async def save_preferences(self, user_id: int, **values: object) -> MediaPreferences:
        statement = (
            insert(MediaPreferences)
            .values(user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["user_id"], set_=values)
            .returning(MediaPreferences)
        )
        row = (await self.session.execute(statement)).scalar_one()
        await self.session.refresh(row)
        return row

    async def indexers(self, user_id: int) -> Sequence[MediaIndexer]:
        query = (
            select(MediaIndexer).where(MediaIndexer.user_id == user_id).order_by(MediaIndexer.id)
        )
        return (await self.session.scalars(query)).all()

    async def add_indexer(
        self, user_id: int, name: str, url: str, apikey_secret: str
    ) -> MediaIndexer:
        row = MediaIndexer(user_id=user_id, name=name, url=url, apikey_secret=apikey_secret)
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete_indexer(self, user_id: int, indexer_id: int) -> bool:
        statement = delete(MediaIndexer).where(
            MediaIndexer.id == indexer_id, MediaIndexer.user_id == user_id
        )
        return bool((await self.session.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def seedbox(self, user_id: int, seedbox_id: int) -> MediaSeedbox | None:
        query = select(MediaSeedbox).where(
            MediaSeedbox.id == seedbox_id, MediaSeedbox.user_id == user_id
        )
        return (await self.session.scalars(query)).one_or_none()

    async def seedboxes(self, user_id: int) -> Sequence[MediaSeedbox]:
        query = (
            select(MediaSeedbox).where(MediaSeedbox.user_id == user_id).order_by(MediaSeedbox.id)
        )
        return (await self.session.scalars(query)).all()

    async def add_seedbox(self, row: MediaSeedbox) -> MediaSeedbox:
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete_seedbox(self, user_id: int, seedbox_id: int) -> bool:
        """Delete the connection (its downloads go with it: the foreign key cascades)."""
        statement = delete(MediaSeedbox).where(
            MediaSeedbox.id == seedbox_id, MediaSeedbox.user_id == user_id
        )
        return bool((await self.session.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def watched(self, user_id: int, limit: int = 50) -> Sequence[MediaWatched]:
        query = (
            select(MediaWatched)
            .where(MediaWatched.user_id == user_id)
            .order_by(MediaWatched.watched_at.desc(), MediaWatched.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def mark_watched(
        self, user_id: int, source: str, title_id: int, kind: str, title: str, rating: int | None
    ) -> MediaWatched:
        statement = (
            insert(MediaWatched)
            .values(
                user_id=user_id,
                source=source,
                title_id=title_id,
                kind=kind,
                title=title,
                rating=rating,
            )
            .on_conflict_do_update(
                index_elements=["user_id", "source", "title_id"], set_={"rating": rating}
            )
            .returning(MediaWatched)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(statement)).scalar_one()

    # --- key rotation: every stored secret, in batches by id ---------------------------

    async def indexer_secrets(self) -> AsyncIterator[list[tuple[int, str]]]:
        after = 0
        while rows := (
            await self.session.execute(
                select(MediaIndexer.id, MediaIndexer.apikey_secret)
                .where(MediaIndexer.id > after)
                .order_by(MediaIndexer.id)
                .limit(SWEEP_BATCH)
            )
        ).all():
            yield [(row[0], row[1]) for row in rows]
            after = rows[-1][0]

    async def seedbox_secrets(self) -> AsyncIterator[list[tuple[int, str]]]:
        after = 0
        while rows := (
            await self.session.execute(
                select(MediaSeedbox.id, MediaSeedbox.password_secret)
                .where(MediaSeedbox.id > after, MediaSeedbox.password_secret.is_not(None))
                .order_by(MediaSeedbox.id)
                .limit(SWEEP_BATCH)
            )
        ).all():
            yield [(row[0], row[1]) for row in rows if row[1] is not None]
            after = rows[-1][0]

    async def set_indexer_secret(self, indexer_id: int, token: str) -> None:
        await self.session.execute(
            update(MediaIndexer).where(MediaIndexer.id == indexer_id).values(apikey_secret=token)
        )

    async def set_seedbox_secret(self, seedbox_id: int, token: str) -> None:
        await self.session.execute(
            update(MediaSeedbox).where(MediaSeedbox.id == seedbox_id).values(password_secret=token)
        )
